# PGXS build of the sales_supervisor extension.
#
#   make && make install          build and install into the server pg_config names
#   make installcheck             pg_regress suites (sql/*.sql vs expected/*.out)
#   make unittest                 C unit tests of the pure-C core (src/core)
#   make fuzz FUZZ_SECONDS=30     libFuzzer targets over the pure-C parsers (clang)
#
# The install script sales_supervisor--$(EXTVERSION).sql is assembled from the
# parts in sql/install/ (one per layer, joined in file-name order), so each layer
# stays readable on its own.  sql/released/ keeps the install scripts of earlier
# releases as they shipped and sql/upgrade/ the scripts from one release to the
# next; never edit a released script, add an upgrade script instead.

EXTENSION   = sales_supervisor
EXTVERSION  = 0.3.0

MODULE_big  = sales_supervisor
CORE_SRCS   = $(sort $(wildcard src/core/*.c))
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)) $(CORE_SRCS))

INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
# Upgrade scripts of the release in progress: the hand-written migration in
# sql/upgrade/manual/ plus the definitions it names, pulled out of the install
# script by scripts/gen_upgrade.py (see CONTRIBUTING.md, Releases).
UPGRADE_MANUAL = $(sort $(wildcard sql/upgrade/manual/*.sql))
UPGRADE_BUILT  = $(notdir $(UPGRADE_MANUAL))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_BUILT)
# Earlier releases' install scripts, frozen as they shipped, and the upgrade
# scripts between releases (ALTER EXTENSION sales_supervisor UPDATE).
DATA        = $(sort $(wildcard sql/released/*.sql)) $(sort $(wildcard sql/upgrade/*.sql))

REGRESS     = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter
PG_CPPFLAGS = -I$(srcdir)/src/core

EXTRA_CLEAN = $(DATA_built) test/unit/bin test/fuzz/bin results regression.diffs \
              regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: every object depends on every header of src/,
# so a changed header (several hold inline per-row code) rebuilds what uses it.
$(OBJS): $(wildcard src/*.h src/core/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ > $@

$(UPGRADE_BUILT): %.sql: sql/upgrade/manual/%.sql $(EXTENSION)--$(EXTVERSION).sql scripts/gen_upgrade.py
	python3 scripts/gen_upgrade.py $(EXTENSION)--$(EXTVERSION).sql $< > $@

# ---- C unit tests: each test/unit/test_*.c is linked with the pure-C core only
# (no postgres.h), built with sanitizers, and run.
UNIT_CC     ?= gcc
UNIT_CFLAGS  = -std=c11 -O1 -g -Wall -Wextra -Werror -Isrc/core -fsanitize=address,undefined \
               -fno-sanitize-recover=all
UNIT_TESTS   = $(patsubst test/unit/%.c,test/unit/bin/%,$(sort $(wildcard test/unit/test_*.c)))

test/unit/bin/%: test/unit/%.c $(CORE_SRCS) test/unit/unit.h
	@mkdir -p test/unit/bin
	$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_SRCS) -lm

.PHONY: unittest fuzz
unittest: $(UNIT_TESTS)
	@./test/unit/run $(UNIT_TESTS)

# ---- libFuzzer targets: test/fuzz/fuzz_*.c over the pure-C core.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 30
FUZZ_TARGETS  = $(patsubst test/fuzz/%.c,test/fuzz/bin/%,$(sort $(wildcard test/fuzz/fuzz_*.c)))

test/fuzz/bin/%: test/fuzz/%.c $(CORE_SRCS)
	@mkdir -p test/fuzz/bin
	$(FUZZ_CC) -g -O1 -Isrc/core -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(CORE_SRCS) -lm

fuzz: $(FUZZ_TARGETS)
	@./test/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)
