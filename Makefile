# SPDX-License-Identifier: GPL-2.0
#
# The NVLink2 VFIO patch series workspace. See README.md.
#
#   make apply   [KERNEL=/path/to/linux]  base tree + the series as commits
#   make export                            patches/, series, views from it
#   make check                             every test of the series
#   make bench                             GPU RAM figures in the rig
#   make mail                              the series as .eml, not sent

SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help apply export check bench mail

help:
	@sed -n 's/^#   //p' Makefile

apply:
	@scripts/deps.sh main
	@scripts/apply.sh $(if $(KERNEL),--kernel "$(KERNEL)")

export:
	@scripts/export.sh

check:
	@scripts/deps.sh test
	@scripts/check.sh

bench:
	@scripts/deps.sh test
	@scripts/bench.sh

mail:
	@scripts/deps.sh mail
	@scripts/mail.sh
