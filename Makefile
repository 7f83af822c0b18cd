# The one declared pipeline: notebooks (run with papermill) -> figures/.
# Use it through run.sh, which sets up .venv first:  bash run.sh figures [PROFILE=smoke|default|paper]
#
# Each notebook is executed into $(RUNS)/$(PROFILE)/<name>.ipynb (ignored by git) and writes its
# figure into figures/; in the default profile it is also rendered to docs/notebooks/<name>.html. It is rerun when the notebook, any glasslib source, the data
# (data/provenance.json changes with every data file) or the profile changes.

PROFILE ?= default
PY := .venv/bin/python
RUNS := runs
PYTEST_ARGS ?=
# Tests run in parallel (pytest-xdist): TEST_JOBS workers, one per CPU this process may use (nproc,
# lowered to a container's cgroup CPU quota when one is set; at most 8: each worker may run a
# notebook kernel and LAMMPS), each single-threaded (OMP_NUM_THREADS=1; tests that need more
# threads ask for them). Workers share the cache: dataset and EXAFS builds take a lock, so one worker
# builds and the other waits. TEST_JOBS=0 runs everything in one process, one test after another.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); \
	if [ -r /sys/fs/cgroup/cpu.max ] && read q p < /sys/fs/cgroup/cpu.max && [ "$$q" != max ]; then \
		c=$$(( (q + p - 1) / p )); [ "$$c" -lt "$$n" ] && n=$$c; fi; \
	[ "$$n" -gt 8 ] && n=8; echo $$n)

PAPERMILL := $(PY) -m papermill --kernel python3 --log-output
# The executed notebooks of the default profile, rendered with their figures and outputs, so that a
# reader can read every notebook without running it (docs/notebooks/<name>.html, committed).
NBCONVERT := $(PY) -m jupyter nbconvert --to html --log-level WARN
GLASSLIB_SRC := $(shell find glasslib -name '*.py' 2>/dev/null)
# Holds the profile the figures in figures/ were last made with; rewritten only when it changes,
# so that switching profile reruns the notebooks and rerunning the same profile does not.
PROFILE_MARK := $(RUNS)/.figures-profile
$(shell mkdir -p $(RUNS) && { [ "$$(cat $(PROFILE_MARK) 2>/dev/null)" = "$(PROFILE)" ] || echo "$(PROFILE)" > $(PROFILE_MARK); })

FIGURES :=
# $(call notebook,<name>,<figure>): notebooks/<name>.ipynb writes <figure>.
define notebook
FIGURES += $(2)
$(2): notebooks/$(1).ipynb $(GLASSLIB_SRC) data/provenance.json $(PROFILE_MARK)
	@mkdir -p $(RUNS)/$(PROFILE) $$(@D)
	rm -f $$@
	$(PAPERMILL) -p profile $(PROFILE) notebooks/$(1).ipynb $(RUNS)/$(PROFILE)/$(1).ipynb
	@test -s $$@ || { echo "error: notebooks/$(1).ipynb ran but did not write $$@" >&2; exit 1; }
	$(if $(filter default,$(PROFILE)),$(NBCONVERT) --output-dir docs/notebooks $(RUNS)/$(PROFILE)/$(1).ipynb)
endef

# One line per notebook, in pipeline order.
$(eval $(call notebook,00_spectra_validation,figures/spectra_validation.png))
$(eval $(call notebook,01_training_data,figures/training_data.png))
$(eval $(call notebook,02_rmc_baseline,figures/rmc_baseline.png))
$(eval $(call notebook,03_glass_asi,figures/glass_asi.png))
$(eval $(call notebook,04_priors,figures/priors.png))
$(eval $(call notebook,05_xas,figures/xas.png))
$(eval $(call notebook,06_measured_data,figures/measured_data.png))
$(eval $(call notebook,07_asi_paracrystallinity,figures/asi_paracrystallinity.png))
$(eval $(call notebook,08_mda_ice,figures/mda_ice.png))
$(eval $(call notebook,09_benchmarks,figures/benchmarks.png))
$(eval $(call notebook,10_sulfur_llpt,figures/sulfur_llpt.png))

# Notebook 07 (default profile) in the references' 1000-atom cell instead of 216 atoms: the cell in which
# the larger grains fit. About an hour on one core; not part of `figures`.
figures/asi_paracrystallinity_cell1000.png: notebooks/07_asi_paracrystallinity.ipynb $(GLASSLIB_SRC) data/provenance.json
	@mkdir -p $(RUNS)/default $(@D)
	rm -f $@
	$(PAPERMILL) -p profile default -p atoms 1000 -p figure_path $@ notebooks/07_asi_paracrystallinity.ipynb $(RUNS)/default/07_asi_paracrystallinity_cell1000.ipynb
	@test -s $@ || { echo "error: notebooks/07_asi_paracrystallinity.ipynb ran but did not write $@" >&2; exit 1; }
asi-cell1000: figures/asi_paracrystallinity_cell1000.png

.DEFAULT_GOAL := figures
.DELETE_ON_ERROR:
.PHONY: figures smoke test benchmarks clean-runs datasets priors exafs-data exafs-surrogate asi-cell1000

figures: $(FIGURES)

smoke:
	$(MAKE) --no-print-directory figures PROFILE=smoke

# pytest exit status 5 means "no tests collected": a failure here, not a pass.
test:
	@jobs="$(TEST_JOBS)"; echo "pytest: $$jobs parallel workers (TEST_JOBS=0: serial)"; \
	OMP_NUM_THREADS=1 $(PY) -m pytest -q --strict-markers -n $$jobs --dist worksteal $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; exit $$rc

benchmarks:
	@set -e; files="$(wildcard benchmarks/*.py)"; \
	if [ -z "$$files" ]; then echo "error: no benchmarks/*.py to run" >&2; exit 1; fi; \
	for f in $$files; do echo "== $$f"; $(PY) $$f; done

# Every declared training set (data/specs/datasets.yaml), cached by content hash under
# .cache/glasslib/datasets and resumed after an interruption. Long: about 8.5 CPU-hours in all.
# ROLE=train|heldout|smoke|reference limits it to one role.
ROLE ?=
datasets:
	$(PY) -m glasslib simulate --all $(if $(ROLE),--role $(ROLE))

# Every declared prior (data/specs/priors.yaml) into data/models/<name>/, or one: make prior-NAME.
# Builds the prior's training sets first (cached); interrupted and rerun, a prior resumes from its
# checkpoint. Long: each prior is sized for at most 2 hours of one CPU core (see its model card).
# prior-NAME also trains the prior's weak companion (autoguidance) when it declares one.
priors:
	@for name in $$(sed -n 's/^  - name: *//p' data/specs/priors.yaml); do $(MAKE) --no-print-directory prior-$$name || exit 1; done
prior-%:
	OMP_NUM_THREADS=1 $(PY) -m glasslib train --prior $* --quiet
	@if $(PY) -c "import sys; from glasslib.diffusion.priors import get_prior; sys.exit(get_prior('$*').weak is None)"; then \
		echo "OMP_NUM_THREADS=1 $(PY) -m glasslib train --prior $* --weak --quiet"; \
		OMP_NUM_THREADS=1 $(PY) -m glasslib train --prior $* --weak --quiet; fi

# Cu K-edge EXAFS: FEFF (feff6l from xraylarch) on Cu absorbers of the Cu-Zr sets (data/specs/exafs.yaml),
# cached by content hash and resumed; then the surrogate data/models/exafs_cuzr_surrogate.
exafs-data:
	OMP_NUM_THREADS=1 $(PY) -m glasslib.spectra.exafs build
exafs-surrogate: exafs-data
	OMP_NUM_THREADS=1 $(PY) -m glasslib.spectra.exafs train --out data/models/exafs_cuzr_surrogate

clean-runs:
	rm -rf $(RUNS)
