# socpipe — plain Makefile (see STYLE.md "Build").
#   make                 build ./socpipe (release, strict warnings)
#   make test            build and run every test; ends with the runner's summary
#   make SANITIZER=address|undefined [test]
#   make deps            install the Debian packages pkg-config cannot find
#   make demo            run the main job on the embedded default
# Sources are discovered by directory, so a new module needs no Makefile edit.

CC      ?= cc
CXX     ?= c++
PKGS    := rdkafka simdjson oniguruma libzstd yaml-0.1
TPKGS   := cmocka
DEBS    := librdkafka-dev libsimdjson-dev libonig-dev libzstd-dev libyaml-dev libcmocka-dev pkg-config zstd

SANITIZER ?=
BUILD   := build/$(if $(SANITIZER),$(SANITIZER),release)

WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wpointer-arith -Wformat=2 -Wundef -Wno-unused-parameter
ifeq ($(CI),true)
WARN    += -Werror
endif
OPT     ?= -O2 -g
ARCH    ?= -march=x86-64-v2
DEFS    := -D_GNU_SOURCE
SAN     := $(if $(SANITIZER),-fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all,)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
T_CFLAGS   := $(shell pkg-config --cflags $(TPKGS) 2>/dev/null)
T_LIBS     := $(shell pkg-config --libs $(TPKGS) 2>/dev/null)

CFLAGS   += -std=c11 $(OPT) $(ARCH) $(WARN) $(DEFS) $(SAN) -I. $(PKG_CFLAGS) -pthread -MMD -MP
CXXFLAGS += -std=c++17 $(OPT) $(ARCH) -Wall -Wextra -Wno-unused-parameter $(SAN) -I. $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += $(SAN) -pthread
LDLIBS   += $(PKG_LIBS) -lstdc++ -lm

MODULES  := engine ingest sigma bench cli
LIB_C    := $(shell find engine ingest sigma bench -name '*.c' 2>/dev/null | sort)
LIB_CXX  := $(shell find engine ingest sigma bench -name '*.cpp' 2>/dev/null | sort)
CLI_C    := $(shell find cli -name '*.c' 2>/dev/null | sort)
TEST_C   := $(sort $(wildcard tests/unit/test_*.c))
TEST_SUP := $(sort $(wildcard tests/unit/support/*.c))

LIB_OBJ  := $(LIB_C:%.c=$(BUILD)/%.o) $(LIB_CXX:%.cpp=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_C:%.c=$(BUILD)/%.o)
SUP_OBJ  := $(TEST_SUP:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_C:tests/unit/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libsocpipe.a

.PHONY: all deps test demo clean bench check-deps socpipe
all: check-deps socpipe

check-deps:
	@pkg-config --exists $(PKGS) || { echo "missing libraries: run 'make deps'" >&2; exit 2; }

socpipe: $(BUILD)/socpipe
	@cp $< $@

$(BUILD)/socpipe: $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(SUP_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(T_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(SUP_OBJ) $(LIB) $(T_LIBS) $(LDLIBS)

$(BUILD)/tests/unit/support/%.o: tests/unit/support/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(T_CFLAGS) -Itests/unit -c -o $@ $<

test: check-deps socpipe $(TEST_BIN)
	@BUILD=$(BUILD) SOCPIPE=./socpipe sh tests/run.sh $(TEST_BIN)

demo: check-deps socpipe
	./socpipe demo

bench: check-deps socpipe
	sh bench/run.sh

# Installs only what pkg-config cannot find; a second run does nothing.
deps:
	@if pkg-config --exists $(PKGS) $(TPKGS) 2>/dev/null && command -v zstd >/dev/null; then \
	  echo "deps: all present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(DEBS); \
	fi

clean:
	rm -rf build socpipe

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SUP_OBJ:.o=.d)
