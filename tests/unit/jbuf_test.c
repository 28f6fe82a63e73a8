#include "common/jbuf.h"
#include "test.h"

TEST(nested_document)
{
    char buf[256];
    struct vc_jbuf b;
    vc_jbuf_init(&b, buf, sizeof(buf));
    vc_jbuf_obj_open(&b, NULL);
    vc_jbuf_u64(&b, "a", 1);
    vc_jbuf_arr_open(&b, "q");
    vc_jbuf_obj_open(&b, NULL);
    vc_jbuf_bool(&b, "x", true);
    vc_jbuf_obj_close(&b);
    vc_jbuf_obj_open(&b, NULL);
    vc_jbuf_str(&b, "s", "a\"b\\c\n");
    vc_jbuf_obj_close(&b);
    vc_jbuf_arr_close(&b);
    vc_jbuf_obj_close(&b);
    EXPECT(vc_jbuf_ok(&b));
    const char *want = "{\"a\":1,\"q\":[{\"x\":true},{\"s\":\"a\\\"b\\\\c\\u000a\"}]}";
    EXPECT(strcmp(buf, want) == 0);
    if (strcmp(buf, want) != 0)
        printf("# got %s\n", buf);
}

TEST(overflow_is_sticky)
{
    char buf[8];
    struct vc_jbuf b;
    vc_jbuf_init(&b, buf, sizeof(buf));
    vc_jbuf_obj_open(&b, NULL);
    vc_jbuf_u64(&b, "long_key", 123456);
    vc_jbuf_obj_close(&b);
    EXPECT(!vc_jbuf_ok(&b));
    EXPECT(strlen(buf) < sizeof(buf));
}

TEST(unbalanced_is_not_ok)
{
    char buf[32];
    struct vc_jbuf b;
    vc_jbuf_init(&b, buf, sizeof(buf));
    vc_jbuf_obj_open(&b, NULL);
    EXPECT(!vc_jbuf_ok(&b));
}

TEST(keys_only_in_objects)
{
    char buf[64];
    struct vc_jbuf b;
    vc_jbuf_init(&b, buf, sizeof(buf));
    vc_jbuf_obj_open(&b, NULL);
    vc_jbuf_arr_open(&b, "a");
    vc_jbuf_u64(&b, "k", 1); /* key inside an array */
    vc_jbuf_arr_close(&b);
    vc_jbuf_obj_close(&b);
    EXPECT(!vc_jbuf_ok(&b));
    vc_jbuf_init(&b, buf, sizeof(buf));
    vc_jbuf_obj_open(&b, NULL);
    vc_jbuf_u64(&b, NULL, 1); /* value without key in an object */
    vc_jbuf_obj_close(&b);
    EXPECT(!vc_jbuf_ok(&b));
}

int main(void)
{
    RUN(keys_only_in_objects);
    RUN(nested_document);
    RUN(overflow_is_sticky);
    RUN(unbalanced_is_not_ok);
    return TEST_DONE();
}
