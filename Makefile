# Thin front-end over meson (STYLE.md "Build").
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON ?= meson
FUZZ_TIME ?= 300

.PHONY: all deps check check-asan clean demo bench fuzz fuzz-build

all: $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dbuildtype=debug

$(FUZZ_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ_BUILD) -Dfuzzing=true -Dbuildtype=debugoptimized

deps:
	@scripts/deps.sh

fuzz-build: $(FUZZ_BUILD)/build.ninja
	$(MESON) compile -C $(FUZZ_BUILD)

# Every test of the main build, plus each libFuzzer target for a short
# bounded time (10 s each, suite 'fuzz' of a clang build).
check: all fuzz-build
	@scripts/meson-check.sh $(BUILD) $(FUZZ_BUILD):fuzz

check-asan: $(ASAN_BUILD)/build.ninja
	$(MESON) compile -C $(ASAN_BUILD)
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    scripts/meson-check.sh $(ASAN_BUILD) --no-suite guest

# Longer fuzzing: FUZZ_TIME seconds per target.
fuzz: fuzz-build
	@for t in $(FUZZ_BUILD)/fuzz/fuzz_*; do \
	    [ -x "$$t" ] || continue; n=$$(basename $$t); mkdir -p $(FUZZ_BUILD)/fuzz/work-$${n#fuzz_}; \
	    echo "== $$n ($(FUZZ_TIME) s)"; \
	    $$t -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 \
	        -artifact_prefix=$(FUZZ_BUILD)/fuzz/ $(FUZZ_BUILD)/fuzz/work-$${n#fuzz_} \
	        fuzz/corpus/$${n#fuzz_} || exit 1; \
	done

# Real-guest test (tests/guest/, issue #3 §4); exit 77 = skipped (QEMU/kernel unobtainable).
# GUEST_ARGS e.g. "--backend vhost-user --vcryptod $(BUILD)/<path>/vcryptod".
GUEST_ARGS ?=
.PHONY: check-guest check-guest-qemu10
check-guest:
	tests/guest/run.sh $(GUEST_ARGS)

check-guest-qemu10:
	tests/guest/run.sh --qemu10 $(GUEST_ARGS)

demo: all
	$(BUILD)/bench/engine --quick

bench: all
	$(BUILD)/bench/engine

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
