# apotheca — build, test, run, bench.
#   make run    install what is missing, build, load demo data, serve
#   make test   install what is missing, build, run every test (both backends, ASan too)
#   make bench  load benchmarks (wrk) against a local server
#   make cluster-test  failover and rolling restart on the HA stack (root, minutes)

# B: the build directory (parallel builds can each use their own)
B       ?= build
CC      ?= gcc
PKGS    := libmicrohttpd jansson libjwt libcurl sqlite3 libpq openssl
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wmissing-prototypes -Werror \
           -Wno-overlength-strings
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -Isrc -I$(B)/gen -D_GNU_SOURCE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
MIGR     := $(sort $(wildcard src/store/migrations/*.sql))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# One object tree per flavour: release ($(B)/) and sanitized ($(B)/asan/).
OBJ       := $(LIB_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/migrations.o $(B)/obj/gen/openapi.o
ASAN_OBJ  := $(LIB_SRC:%.c=$(B)/asan/obj/%.o) $(B)/asan/obj/gen/migrations.o $(B)/asan/obj/gen/openapi.o
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
ASAN_UNIT := $(UNIT_SRC:tests/unit/%.c=$(B)/asan/tests/%)
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Fuzz targets (libFuzzer): clang, every library object built for coverage.
FUZZ_CC   ?= clang
FUZZ_FLAGS := -g -O1 -std=gnu11 -Isrc -I$(B)/gen -D_GNU_SOURCE -fsanitize=address,undefined
FUZZ_OBJ  := $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o) $(B)/fuzz/obj/gen/migrations.o $(B)/fuzz/obj/gen/openapi.o
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_SECONDS ?= 30

PY := /usr/bin/python3

# make install PREFIX=/usr/local (DESTDIR for staging): the binary, the
# systemd unit, an example environment file and the docs.
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
DOCDIR  := $(PREFIX)/share/doc/apotheca
UNITDIR := $(PREFIX)/lib/systemd/system

.PHONY: install FORCE fuzz openapi openapi-lint all deps test-deps unit e2e e2e-sqlite e2e-pg asan test run bench clean format check-banned cluster-test

# The first rule is the default: plain `make` installs missing build packages
# (order-only `deps` below) and builds the binary.
all: $(B)/apotheca

openapi:
	$(PY) scripts/gen-openapi.py

# Lints docs/openapi.json with Redocly CLI (version pinned in
# package-lock.json, installed into ./node_modules; rules in redocly.yaml).
node_modules/.bin/redocly: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

openapi-lint: node_modules/.bin/redocly
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint --format=stylish docs/openapi.json

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test && { scripts/install-deps.sh browser || echo 'warning: browser packages did not install; the browser test will fail (E2E_REQUIRE_BROWSER=1)' >&2; }

# The build's identity; the script rewrites the header only when it changes.
$(B)/gen/build_info.h: FORCE
	@scripts/gen-build-info.sh $@

$(B)/obj/src/version.o $(B)/asan/obj/src/version.o $(B)/fuzz/obj/src/version.o: $(B)/gen/build_info.h

FORCE:

# The names of the migrations, rewritten only when the set changes: a
# migration file removed leaves no newer prerequisite behind, so without it
# the embedded migrations would keep the removed one.
$(B)/gen/migrations.list: FORCE
	@mkdir -p $(@D)
	@echo '$(MIGR)' | cmp -s - $@ || echo '$(MIGR)' > $@

$(B)/gen/migrations.c: $(MIGR) $(B)/gen/migrations.list scripts/embed-migrations.sh
	@mkdir -p $(@D)
	@scripts/embed-migrations.sh $@ $(MIGR)

$(B)/gen/openapi.c: docs/openapi.json scripts/embed-file.sh
	@mkdir -p $(@D)
	@scripts/embed-file.sh openapi_json docs/openapi.json $@

$(B)/obj/gen/openapi.o: $(B)/gen/openapi.c
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) -c $< -o $@

$(B)/asan/obj/gen/openapi.o: $(B)/gen/openapi.c
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(B)/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@echo '  CC      $<'
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(B)/apotheca: $(B)/obj/src/main.o $(OBJ)
	@echo '  LINK    $@'
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(OBJ) tests/unit/t.h tests/unit/t_store.h
	@mkdir -p $(@D)
	@echo '  LINK    $@'
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(OBJ) $(PKG_LIBS)

$(B)/asan/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) $(SAN) $(PKG_CFLAGS) -c $< -o $@

$(B)/asan/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@echo '  CC+SAN  $<'
	@$(CC) $(CFLAGS) $(SAN) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(B)/asan/apotheca: $(B)/asan/obj/src/main.o $(ASAN_OBJ)
	@echo '  LINK    $@'
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

$(B)/asan/tests/%: tests/unit/%.c $(ASAN_OBJ) tests/unit/t.h tests/unit/t_store.h
	@mkdir -p $(@D)
	@echo '  LINK    $@'
	@$(CC) $(CFLAGS) $(SAN) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(ASAN_OBJ) $(PKG_LIBS)

$(B)/fuzz/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(B)/fuzz/obj/%.o: %.c | deps
	@echo '  CC+FUZZ $<'
	@mkdir -p $(@D)
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@echo '  LINK    $@'
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# Each target runs FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/NAME).
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		n=$$(basename $$f); mkdir -p $(B)/fuzz/corpus/$$n; \
		echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=0 \
			$(B)/fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | tail -n 2 || exit 1; \
	done

check-banned:
	@bad=$$(grep -L '#include "base/banned.h"' $(SRC)); \
	if [ -n "$$bad" ]; then echo "files missing base/banned.h: $$bad"; exit 1; fi

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

e2e-sqlite: $(B)/apotheca
	$(PY) tests/e2e/run.py --binary $(B)/apotheca --backend sqlite

e2e-pg: $(B)/apotheca
	$(PY) tests/e2e/run.py --binary $(B)/apotheca --backend postgres

# The sanitized run drives the model-based test for 30 s (E2E_MODEL_SECONDS
# overrides), not the release runs' 120 s: it is several times slower.
asan: $(B)/asan/apotheca $(ASAN_UNIT)
	@ASAN_OPTIONS=detect_leaks=1 scripts/run-unit.sh $(ASAN_UNIT)
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 E2E_MODEL_SECONDS=$${E2E_MODEL_SECONDS:-30} \
		$(PY) tests/e2e/run.py --binary $(B)/asan/apotheca --backend sqlite

# make test runs the real-browser test or fails: it never skips it silently.
test: export E2E_REQUIRE_BROWSER = 1
test: test-deps
	@$(MAKE) --no-print-directory -j2 check-banned all unit
	@$(MAKE) --no-print-directory openapi-lint
	@$(MAKE) --no-print-directory e2e-sqlite
	@$(MAKE) --no-print-directory e2e-pg
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# Failover and rolling restart on the highly available stack of
# scripts/cluster.sh (etcd, Patroni, two PostgreSQL nodes, HAProxy, three
# apotheca processes). Needs root and a few minutes: not part of make test.
cluster-test: deps
	@scripts/install-deps.sh ha
	@$(MAKE) --no-print-directory all
	@rm -rf $(B)/cluster-logs
	@APOTHECA_CLUSTER_LOGS=$(CURDIR)/$(B)/cluster-logs $(PY) tests/ha/test_failover.py; rc=$$?; \
		APOTHECA_CLUSTER_LOGS=$(CURDIR)/$(B)/cluster-logs scripts/cluster.sh down; exit $$rc

run:
	@scripts/install-deps.sh run
	@$(MAKE) --no-print-directory all
	@scripts/run-demo.sh

bench:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory all
	@scripts/bench.sh

install: $(B)/apotheca
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/apotheca $(DESTDIR)$(BINDIR)/apotheca
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' packaging/apotheca.service.in \
		>$(DESTDIR)$(UNITDIR)/apotheca.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/apotheca.service
	install -m 0644 packaging/apotheca.env.example README.md docs/API.md docs/openapi.json \
		$(DESTDIR)$(DOCDIR)/

format:
	clang-format -i $(SRC) $(shell find src -name '*.h') $(UNIT_SRC)

clean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Keep intermediate objects (fuzz and sanitizer trees) between runs.
.SECONDARY:
