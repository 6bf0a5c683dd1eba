# The two commands a newcomer runs on a fresh machine (Python 3.11 only):
#   make demo   -> venv, install, synthesise the demo song, write out/demo.mp4
#   make test   -> venv, install, run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test install benchmark clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first (the CPU wheel), then everything else under constraints that pin it.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e ".[test,tune,report,diffusion,video,ui]"
	touch $@

install: $(VENV)/.installed

demo: install
	mkdir -p out
	$(VENV)/bin/dancegen demo-song out/demo_song.wav --force
	$(VENV)/bin/dancegen dance out/demo_song.wav -o out/demo.mp4 --save-motion out/demo.npz --force
	@echo "wrote out/demo.mp4"

test: install
	$(PY) -m pytest -q -x --durations=15

benchmark: install
	$(PY) benchmarks/speed.py

clean:
	rm -rf $(VENV) out .pytest_cache
