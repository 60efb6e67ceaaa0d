# docs/man/build.mk: the man pages. Each docs/man/NAME.SECTION.scd (scdoc source) becomes
# build/man/NAME.SECTION; dropping a new .scd file here is all it takes to build another page.
DEPS_BUILD += scdoc

MAN_SOURCES := $(wildcard docs/man/*.scd)
MAN_PAGES += $(patsubst docs/man/%.scd,$(BUILD)/man/%,$(MAN_SOURCES))

$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@

man: $(MAN_PAGES)

.PHONY: man
