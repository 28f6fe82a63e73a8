# Thin front-end over meson (STYLE.md "Build").
BUILD ?= build
ASAN_BUILD ?= build-asan
MESON ?= meson

.PHONY: all deps check check-asan clean demo bench fuzz format-check

all: $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dbuildtype=debug

deps:
	@scripts/deps.sh

check: all
	@scripts/meson-check.sh $(BUILD)

check-asan: $(ASAN_BUILD)/build.ninja
	$(MESON) compile -C $(ASAN_BUILD)
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    scripts/meson-check.sh $(ASAN_BUILD)

demo: all
	$(BUILD)/bench/engine --quick

bench: all
	$(BUILD)/bench/engine

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
