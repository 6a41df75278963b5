# The two commands: `make run` starts the product, `make test` runs every check and test.
# Both install what is missing first (Debian/Ubuntu, as root or with sudo) and say what.
.PHONY: run test deps e2e shellcheck help

help:
	@echo "make run         build and start the help host (console on http://127.0.0.1:8080/console) and the app"
	@echo "make test        every check and test suite (what CI runs)"
	@echo "make deps        only install what is missing"
	@echo "make e2e         only the end-to-end suites in tests/ (after a build)"
	@echo "make shellcheck  lint scripts/ and .ci/run"

run:
	scripts/run.sh

test:
	scripts/test.sh

deps:
	scripts/deps.sh

e2e:
	scripts/e2e.sh

shellcheck:
	shellcheck -x scripts/*.sh .ci/run
