# SPDX-License-Identifier: GPL-2.0
#
# iommufd-nest.  Standalone:
#   make [KDIR=tree] [STATIC=1] [OUTPUT=dir]   build the tests
#   make CROSS_COMPILE=aarch64-linux-gnu- ...  the same for arm64 guests,
#                                              on KDIR's arm64 uAPI headers
#   make check                                 unit tests, then the VM suite
#   make check-next                            the same on Debian's 7.2 tree
# KDIR defaults to Debian's linux-source-6.12, unpacked into the cache.
#
# In a kernel tree, as tools/testing/selftests/iommufd_nest (add it to
# TARGETS), this is a kselftest: ../lib.mk builds TEST_GEN_PROGS with the
# KHDR_INCLUDES and OUTPUT the selftests Makefile passes, and run_tests,
# install and run_kselftest.sh -c iommufd_nest work as for any target.

SRC := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
INTREE := $(if $(wildcard $(SRC)/../lib.mk),1)

NEST_TESTS := iommufd_nest_test iommufd_nest_cdev_test iommufd_nest_cdev_input_test \
	      iommufd_nest_smmu_test \
	      iommufd_nest_migrate_test iommufd_nest_failnth_test \
	      iommufd_nest_viommu_test iommufd_nest_uapi_test
# lib.mk rewrites these to full paths; the rules below use NEST_TESTS
TEST_GEN_PROGS := $(NEST_TESTS)
# built and installed, not run by run_tests
TEST_GEN_PROGS_EXTENDED := nest_bind nest_report nest_migrate nest_bench nest_vmm
TOOLS := $(TEST_GEN_PROGS_EXTENDED)
UNIT_PROGS := viommu_model_test viommu_migration_test smmu_test

include $(SRC)/lib/libnest.mk
VIOMMU_SRCS := $(LIBNEST_VIOMMU_SRCS)
MODEL_SRCS := $(LIBNEST_MODEL_SRCS)
HEADERS := $(LIBNEST_HEADERS)

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-clobbered -Wno-format-truncation
# lib.mk defines _GNU_SOURCE itself
CFLAGS += $(if $(INTREE),,-D_GNU_SOURCE)
# the guests' binaries: stripped, a third less initramfs to unpack
ifeq ($(STATIC),1)
LDFLAGS += -static -s
endif

ifeq ($(INTREE),1)
override KDIR := $(abspath $(SRC)/../../../..)
KHDR_INCLUDES ?= -isystem $(KDIR)/usr/include
KHDR_DIR := $(word 2,$(KHDR_INCLUDES))
KTREE_DEPS :=
CPPFLAGS += $(KHDR_INCLUDES) $(LIBNEST_CPPFLAGS) \
	    -I$(KDIR)/drivers/iommu/iommufd -I$(SRC)/..
include ../lib.mk
else
CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/iommufd-nest
DEFAULT_KDIR := $(CACHE)/linux-source-6.12
KDIR ?= $(DEFAULT_KDIR)
override KDIR := $(abspath $(KDIR))
OUTPUT ?= $(SRC)/build
# cross-building (the arm64 guests): the compiler and the uAPI headers
# are the target's (asm/ differs: x86's would make longs 32 bits)
ifneq ($(CROSS_COMPILE),)
CC := $(CROSS_COMPILE)gcc
HDR_ARCH := $(if $(filter aarch64-%,$(CROSS_COMPILE)),arm64,$(error CROSS_COMPILE=$(CROSS_COMPILE): only aarch64-* is supported))
endif
HDR_ENV := NEST_HDR_ARCH=$(HDR_ARCH)
KHDR_DIR ?= $(shell $(HDR_ENV) $(SRC)/vm/kernel.sh headers-dir $(KDIR))
KHDR_INCLUDES ?= -isystem $(KHDR_DIR)
KTREE_DEPS := $(KDIR)/Makefile $(KHDR_DIR)/linux/types.h
CPPFLAGS += $(KHDR_INCLUDES) $(LIBNEST_CPPFLAGS) \
	    -I$(KDIR)/drivers/iommu/iommufd -I$(KDIR)/tools/testing/selftests

all: $(addprefix $(OUTPUT)/,$(NEST_TESTS) $(UNIT_PROGS) $(TOOLS))

clean:
	rm -rf $(OUTPUT)
endif

# The mock's dma-buf export (7.x) adds enum entries, which no #ifdef can
# test: the tree's iommufd_test.h says whether the tests may use them.
ifneq ($(shell grep -s IOMMU_TEST_OP_DMABUF_GET $(KDIR)/drivers/iommu/iommufd/iommufd_test.h),)
CPPFLAGS += -DNEST_HAVE_TEST_DMABUF
endif

# Programs that need the iommufd nesting uAPI (Linux 6.8+ headers, with
# IOMMU_HWPT_INVALIDATE).  Against older headers, such as Debian 12's 6.1
# linux-libc-dev (make KHDR_DIR=/usr/include), each is built from
# tools/no_uapi.c instead: a test that SKIPs, or a tool that says why,
# both with exit 4.
#
# Which one is decided when the program is built, after its headers are
# installed, never when this file is read: a fresh checkout has no
# headers yet.  $(UAPI_STAMP) names the headers and what they hold; it is
# rewritten only when that changes, and every such program depends on it.
UAPI_STAMP := $(OUTPUT)/.uapi-headers
UAPI_HDRS := $(wildcard $(KHDR_DIR)/linux/iommufd.h $(KHDR_DIR)/linux/vfio.h)

$(UAPI_STAMP): nest-always $(KTREE_DEPS)
	@mkdir -p $(OUTPUT)
	@v="$(KHDR_DIR) $$(grep -qs IOMMU_HWPT_INVALIDATE \
		$(KHDR_DIR)/linux/iommufd.h && echo nesting || echo old)"; \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" >$@

# $(call uapi_cc,SOURCES): build $@ from SOURCES, or from tools/no_uapi.c
# when the stamp says the headers are too old.
define uapi_cc
@mkdir -p $(OUTPUT)
if [ "$$(cat $(UAPI_STAMP))" = "$(KHDR_DIR) nesting" ]; then \
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(1) $(LDFLAGS); \
else \
	$(CC) $(CFLAGS) -DPROG='"$(notdir $@)"' -DHEADERS='"$(KHDR_DIR)"' \
		-o $@ tools/no_uapi.c $(LDFLAGS); \
fi
endef
UAPI_DEPS := tools/no_uapi.c $(HEADERS) $(UAPI_STAMP) $(UAPI_HDRS)

# the test programs and the tools, each its own .c on the library
ENGINE_TOOLS := nest_report nest_migrate nest_bench nest_vmm
$(addprefix $(OUTPUT)/,$(NEST_TESTS)): $(OUTPUT)/%: %.c $(LIBNEST_SRCS) \
		$(UAPI_DEPS)
	$(call uapi_cc,$(filter-out tools/no_uapi.c,$(filter %.c,$^)))

$(addprefix $(OUTPUT)/,$(ENGINE_TOOLS)): $(OUTPUT)/%: tools/%.c \
		$(LIBNEST_SRCS) $(UAPI_DEPS)
	$(call uapi_cc,$(filter-out tools/no_uapi.c,$(filter %.c,$^)))

$(OUTPUT)/nest_bind: tools/nest_bind.c $(LIBNEST_DIR)/pci_sysfs.c $(HEADERS)
	@mkdir -p $(OUTPUT)
	$(CC) $(LIBNEST_CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(LDFLAGS)

# LD_PRELOAD for the guests' QEMU 11.1 (vm/guest/qemu_vmm_edu): shared,
# never static; it needs no kernel headers
$(OUTPUT)/ioctl_log.so: tools/ioctl_log.c
	@mkdir -p $(OUTPUT)
	$(CC) -D_GNU_SOURCE $(CFLAGS) -shared -fPIC -o $@ $<

# ASan and UBSan for the unit tests and the fuzz corpus: any report fails.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer

include $(SRC)/tests/unit.mk

ifneq ($(INTREE),1)
ifeq ($(KDIR),$(DEFAULT_KDIR))
$(KDIR)/Makefile:
	$(SRC)/vm/kernel.sh deps build
	$(SRC)/vm/kernel.sh source >/dev/null
else
$(KDIR)/Makefile:
	@echo "error: KDIR=$(KDIR) is not a kernel source tree (no Makefile)" >&2
	@exit 1
endif

$(KHDR_DIR)/linux/types.h: | $(KDIR)/Makefile
	$(HDR_ENV) $(SRC)/vm/kernel.sh headers $(KDIR) $(KHDR_DIR) >/dev/null
endif

# Fuzzing the model's parsers (libFuzzer, clang-14): make fuzz FUZZ_SECONDS=N
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang-14
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=all -D_GNU_SOURCE $(LIBNEST_CPPFLAGS)
FUZZ_TARGETS := config stream
FUZZ_SRCS_config := $(SRC)/tests/fuzz/fuzz_config.c $(VIOMMU_SRCS)
FUZZ_SRCS_stream := $(SRC)/tests/fuzz/fuzz_stream.c $(MODEL_SRCS)

$(OUTPUT)/fuzz/fuzz_%: $(HEADERS) tests/fuzz/fuzz_%.c $(MODEL_SRCS)
	@$(SRC)/vm/kernel.sh deps fuzz
	@mkdir -p $(OUTPUT)/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS_$*)

# The corpus and every crash ever found, replayed under ASan and UBSan
# with gcc: no clang needed for make check.
$(OUTPUT)/san/replay_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c \
		$(MODEL_SRCS) $(HEADERS)
	@mkdir -p $(OUTPUT)/san
	$(CC) $(LIBNEST_CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -o $@ \
		$(SRC)/tests/fuzz/replay.c $(FUZZ_SRCS_$*)

fuzz: $(addprefix $(OUTPUT)/fuzz/fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(OUTPUT)/fuzz/corpus-$$t $(SRC)/tests/fuzz/regressions/$$t; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		$(OUTPUT)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 -artifact_prefix=$(SRC)/tests/fuzz/regressions/$$t/ \
			$(OUTPUT)/fuzz/corpus-$$t $(SRC)/tests/fuzz/corpus/$$t \
			2>$(OUTPUT)/fuzz/fuzz_$$t.log || \
			{ tail -n 30 $(OUTPUT)/fuzz/fuzz_$$t.log; \
			  echo "fuzz_$$t found a crash: its input is in tests/fuzz/regressions/$$t/, replayed by make check"; \
			  exit 1; }; \
		grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss' $(OUTPUT)/fuzz/fuzz_$$t.log; \
	done

# the test programs, for tests/intree_check.sh
print-tests:
	@echo $(NEST_TESTS)

# The KTAP must also parse with prove, and the JUnit XML with xmllint.
# "all" holds the arm64 guests (smmuv3, smmuv3-nested): on 6.12 they
# check that arm-smmu-v3 refuses NEST_PARENT and why, on 7.2 (check-next)
# that it grants it and, with the upgraded IORT, a vIOMMU.
check:
	@mkdir -p $(OUTPUT)
	bash -c 'set -o pipefail; $(SRC)/run_tests.sh --vm --topology all --migrate \
		--junit $(OUTPUT)/junit.xml | tee $(OUTPUT)/check.ktap'
	@prove -e cat $(OUTPUT)/check.ktap >$(OUTPUT)/prove.log 2>&1 || \
		{ cat $(OUTPUT)/prove.log; echo "error: prove rejects the KTAP"; exit 1; }

# The suite and the kselftest route again on Debian's newer tree
# (linux-source-7.2 from trixie-backports, downloaded once into the
# cache), where the vIOMMU object tests run instead of SKIPping; then
# the tests built against 7.2's headers on the 6.12 kernel.
check-next:
	@mkdir -p $(OUTPUT)
	bash -c 'set -o pipefail; $(SRC)/run_tests.sh --vm --kernel next \
		--topology all --migrate --junit $(OUTPUT)/junit-next.xml | \
		tee $(OUTPUT)/check-next.ktap'
	@prove -e cat $(OUTPUT)/check-next.ktap >$(OUTPUT)/prove-next.log 2>&1 || \
		{ cat $(OUTPUT)/prove-next.log; echo "error: prove rejects the KTAP"; exit 1; }
	$(SRC)/tests/intree_check.sh "$$($(SRC)/vm/kernel.sh source next)"
	@# built against 7.2's headers, booted on 6.12: what 6.12 lacks SKIPs
	bash -c 'set -o pipefail; $(SRC)/run_tests.sh --vm --kernel next \
		--boot-kdir "$$($(SRC)/vm/kernel.sh source)" --topology all \
		--no-unit | tee $(OUTPUT)/check-mixed.ktap'
	@grep -q "vobj.viommu_pins_its_nesting_parent # SKIP kernel lacks IOMMU_VIOMMU_ALLOC" \
		$(OUTPUT)/check-mixed.ktap || { echo "error: on 6.12 the vIOMMU tests must SKIP for the kernel's sake"; exit 1; }

# The suite's benchmark: make check's run, warm, RUNS times; min, median
# and max per phase, boot share, CPU over wall; JSON for CI history.
RUNS ?= 5
bench-suite:
	@mkdir -p $(OUTPUT)
	$(SRC)/vm/suite_bench.sh --runs $(RUNS) --json $(OUTPUT)/suite-bench.json

# Config conformance with the real QEMU 11.1 (fetched into the cache),
# every string asked afresh; make check's unit group runs it too, with
# QEMU's verdicts kept per QEMU build.
conformance: $(OUTPUT)/nest_report
	NEST_QEMU_FRESH=1 $(SRC)/tests/conformance_config.sh $(OUTPUT)/nest_report

# Test power, not in .ci/run (hours on two cores): each mutant of
# tests/mutants/ booted with this suite and the tree's own selftests
# (vm/mutants.py; MUTANTS="01 02" for some), and gcov line and branch
# coverage of the nesting code for both suites (vm/coverage.py).
kernel-mutants:
	$(SRC)/vm/mutants.py $(foreach m,$(MUTANTS),--only $(m))

coverage:
	$(SRC)/vm/coverage.py

# The kselftest route on the default (or KDIR) tree; .ci/run runs it too.
check-intree: $(KDIR)/Makefile
	$(SRC)/vm/kernel.sh deps build
	$(SRC)/tests/intree_check.sh $(KDIR)

CHECKPATCH_FILES := $(wildcard $(SRC)/*.[ch] $(SRC)/kinds/*.[ch] $(SRC)/lib/*.c \
	$(SRC)/lib/include/*.h $(SRC)/tools/*.c $(SRC)/tests/*.[ch] \
	$(SRC)/tests/fuzz/*.c)
checkpatch: $(KDIR)/Makefile
	perl $(KDIR)/scripts/checkpatch.pl --no-tree --quiet -f $(CHECKPATCH_FILES)

.PHONY: nest-always all bench-suite check conformance check-intree check-next model-test checkpatch clean fuzz print-tests kernel-mutants coverage

# The suite through LAVA (Debian 12's lava-dispatcher, installed when
# missing): the mock and vtd topologies run by lava-run as QEMU jobs, their
# results held to the runner's KTAP for the same build (lava/check.sh).
# lava-mutate: the same with lava/mutation.patch applied to a copy of the
# tree: one test must fail in both, in LAVA with its diagnostic.  A SKIP
# (exit 4: lava-dispatcher cannot be installed or run here) prints its
# reason and does not fail make.
lava-check:
	@rc=0; $(SRC)/lava/check.sh || rc=$$?; [ $$rc = 0 ] || [ $$rc = 4 ]

lava-mutate:
	@rc=0; $(SRC)/lava/check.sh --mutate || rc=$$?; [ $$rc = 0 ] || [ $$rc = 4 ]

.PHONY: lava-check lava-mutate
