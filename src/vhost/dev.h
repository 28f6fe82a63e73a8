/* Internal state of a vhost-user device, shared by the files of src/vhost/
 * (handlers.c, vring.c, mem.c). Not for use outside src/vhost/.
 *
 * Invariants (checked in debug builds by the tests, relied on everywhere):
 *   - ring.started implies ring.kick_set, has_num, has_addr, enabled and a
 *     non-empty memory table, and that the backend got vring_start for it.
 *   - every fd field is -1 or an fd this struct owns.
 *   - gmem regions were mmapped by mem.c; their mmap_addr/mmap_size are
 *     what mem.c must munmap.
 */
#ifndef VC_VHOST_DEV_H
#define VC_VHOST_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost/vhost.h"
#include "virtq/gmem.h"
#include "virtq/vq.h"

struct vc__vu_ring {
    struct vc_vq vq;
    uint32_t num;  /* SET_VRING_NUM */
    uint32_t base; /* SET_VRING_BASE, or last avail idx saved at a stop */
    struct vhost_user_vring_addr addr;
    bool has_num, has_addr;
    bool kick_set; /* SET_VRING_KICK seen (with an fd, or NOFD = polling) */
    bool enabled;  /* SET_VRING_ENABLE; true until told otherwise */
    bool started;  /* handed to the backend */
    int kick_fd, call_fd, err_fd;
};

struct vc_vu_dev {
    struct vc_vu_cfg cfg;
    char name[32];
    const struct vc_vu_backend_ops *ops;
    void *ctx;
    uint64_t features;          /* acked by SET_FEATURES */
    bool features_set;          /* SET_FEATURES seen */
    uint64_t protocol_features; /* acked by SET_PROTOCOL_FEATURES */
    enum vc_vu_layout layout_hint;
    uint64_t refused;
    struct vc_gmem gmem;
    struct vc__vu_ring *rings; /* cfg.num_queues entries */
};

/* ---- mem.c */

/* SET_MEM_TABLE: validates the table in msg against its fds
 * (hostile-inputs #36), mmaps every region, installs them in gm and unmaps
 * the previous table. All fds in msg are closed. On any error nothing new
 * stays mapped and gm is unchanged. The caller has stopped every ring.
 * name is the device name for log lines. Returns 0 or VC_EPROTO. */
int vc__vu_mem_set(const char *name, struct vc_gmem *gm, struct vc_vu_msg *msg);

/* Unmaps every region of gm and empties it. */
void vc__vu_mem_clear(struct vc_gmem *gm);

/* ---- vring.c */

/* Handlers for the per-ring messages (the table in handlers.c). Each returns
 * 0, VC_EPROTO (close the connection) or another negative code (refused,
 * connection kept). */
int vc__vu_h_vring_num(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                       bool *has_reply);
int vc__vu_h_vring_addr(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                        bool *has_reply);
int vc__vu_h_vring_base(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                        bool *has_reply);
int vc__vu_h_get_vring_base(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                            bool *has_reply);
int vc__vu_h_vring_fd(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                      bool *has_reply);
int vc__vu_h_vring_enable(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                          bool *has_reply);

/* Stops every started ring (backend vring_stop, then the vq), saving its
 * last avail index as the base for a restart. */
void vc__vu_rings_quiesce(struct vc_vu_dev *d);
/* Same for ring i only; i out of range is ignored. */
void vc__vu_ring_quiesce(struct vc_vu_dev *d, uint32_t i);
/* Starts every ring that is ready and not started. */
void vc__vu_rings_resume(struct vc_vu_dev *d);
/* Stops ring i if started and closes its fds; forgets kick/call/err. */
void vc__vu_ring_teardown(struct vc_vu_dev *d, uint32_t i);

#endif
