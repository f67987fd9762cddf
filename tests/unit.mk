# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of the pure code (the model and the migration stream),
# included by the top Makefile.  They need gcc and cmocka (Debian's
# libcmocka-dev), never a kernel tree or its headers.
#
#   make model-test      build and run both, plainly
#
# They print TAP: "ok N global.NAME", as kselftest's harness did.  An
# argument runs only the tests whose names match it (* and ? globs).

CMOCKA_LDLIBS := -lcmocka
# Run on the build host: never static (Debian ships no libcmocka.a).
UNIT_LDFLAGS = $(filter-out -static,$(LDFLAGS))
UNIT_CFLAGS = $(LIBNEST_CPPFLAGS) -I$(SRC)/tests $(CFLAGS)
# The model test reads the config corpus of the fuzzer at run time.
UNIT_CORPUS := -DUNIT_CONFIG_CORPUS='"$(SRC)/tests/fuzz/corpus/config"'

# Fail in one line, naming the package, when cmocka is not installed.
define unit_need_cmocka
@mkdir -p $(@D)
@printf '\043include <stdarg.h>\n\043include <stddef.h>\n\043include <stdint.h>\n\043include <setjmp.h>\n\043include <cmocka.h>\nint main(void) { cmocka_set_message_output(CM_OUTPUT_TAP); return 0; }\n' | \
	$(CC) -x c -o $@.cmocka-probe - $(CMOCKA_LDLIBS) >/dev/null 2>&1 || \
	{ rm -f $@.cmocka-probe; \
	  echo "error: $(notdir $@) needs cmocka: install libcmocka-dev (apt-get install libcmocka-dev)" >&2; \
	  exit 1; }
@rm -f $@.cmocka-probe
endef

# $(call unit_rules,NAME,SOURCES,FLAGS): NAME built plainly and, under
# san/, with ASan and UBSan (any report fails the test)
define unit_rules
$(OUTPUT)/$(1) $(OUTPUT)/san/$(1): tests/$(1).c tests/unit_tap.c \
		tests/unit_tap.h $(2) $(HEADERS)
	$$(unit_need_cmocka)
	$$(CC) $$(UNIT_CFLAGS) $(3) $$(if $$(findstring /san/,$$@),$$(SAN_FLAGS)) \
		-o $$@ $$(filter %.c,$$^) $$(UNIT_LDFLAGS) $$(CMOCKA_LDLIBS)
endef
$(eval $(call unit_rules,viommu_model_test,$(VIOMMU_SRCS) \
	$(LIBNEST_DIR)/hw_info.c,$(UNIT_CORPUS)))
$(eval $(call unit_rules,viommu_migration_test,$(MODEL_SRCS)))
$(eval $(call unit_rules,smmu_test,$(LIBNEST_DIR)/smmu.c))

# All run, even when one fails; the exit status says if any did.
model-test: $(OUTPUT)/viommu_model_test $(OUTPUT)/viommu_migration_test \
		$(OUTPUT)/smmu_test
	@rc=0; for t in $^; do echo "== $$t"; $$t || rc=1; done; exit $$rc
