# SPDX-License-Identifier: GPL-2.0
# A kernel with modules (the series' options =m) has its KUnit suites in
# modules: load each one, which runs its suites (their KTAP goes to the
# console, where make check parses it with the built-in ones), then
# unload it.
m=/lib/modules/$(uname -r)
[ -f "$m/modules.dep" ] || { echo "no modules"; exit 0; }
rc=0
for ko in $(sed -n 's/^\([^:]*kunit[^:]*\.ko\):.*/\1/p' "$m/modules.dep"); do
	name=${ko##*/}
	name=${name%.ko}
	if modprobe "$name"; then
		echo "loaded $name"
		modprobe -r "$name" || { echo "FAIL: $name does not unload"; rc=1; }
	else
		echo "FAIL: modprobe $name"; rc=1
	fi
done
exit $rc
