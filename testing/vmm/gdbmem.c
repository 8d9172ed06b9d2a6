// SPDX-License-Identifier: GPL-2.0
/*
 * gdbmem [-p PID] PIPE OP...: read and write a QEMU guest's memory through QEMU's
 * gdbstub on a pipe (-gdb pipe:PIPE, the FIFOs PIPE.in and PIPE.out; the
 * rig's kernel has no AF_UNIX), the way the vmm step of the rig reaches
 * guest physical addresses without a guest: QEMU does the
 * accesses on the guest's behalf, through the same memory regions a vCPU
 * would use. With the vCPU stopped before its first instruction (-S) its
 * MMU is off, so the addresses are guest physical ones.
 *
 *   r:ADDR          print the 8 bytes at ADDR as a big-endian hex number
 *   w:ADDR=VALUE    write VALUE (hex) as 8 big-endian bytes at ADDR
 *   fdt:FILE        save the flattened device tree that QEMU gave the
 *                   guest (r3 at the entry point of a pseries machine)
 *   mon:COMMAND     run a monitor command (qRcmd) and print its output;
 *                   after "quit", wait for QEMU to close the connection
 *
 * One line of output per read, "ADDR VALUE". Exit status 1 on the first
 * error (the gdbstub's "E" reply included), with a message on stderr.
 * It waits up to a minute for QEMU to open the pipe, which it does once
 * the machine is realized and reset, less if QEMU (-p PID) dies first,
 * and gives up after five minutes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static int rfd, wfd;

static void fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "gdbmem: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "%s%s\n", errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

static int get_char(void)
{
	unsigned char c;

	if (read(rfd, &c, 1) != 1)
		fail("%s", "connection to the gdbstub lost");
	return c;
}

static void put(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(wfd, s, len);

		if (n <= 0)
			fail("%s", "write to the gdbstub");
		s += n;
		len -= n;
	}
}

/* Send a packet until the gdbstub acknowledges it ('+'; '-' asks again). */
static void send_packet(const char *payload)
{
	char frame[8192];
	unsigned int sum = 0;
	size_t i;
	int c;

	for (i = 0; payload[i]; i++)
		sum += (unsigned char)payload[i];
	snprintf(frame, sizeof(frame), "$%s#%02x", payload, sum & 0xff);
	do {
		put(frame, strlen(frame));
		do
			c = get_char();
		while (c != '+' && c != '-');
	} while (c == '-');
}

/* The payload of the next packet from the gdbstub, acknowledged. */
static char *receive(void)
{
	static char reply[8192];
	char frame[3];
	unsigned int sum = 0, got;
	size_t n = 0;
	int c;

	do
		c = get_char();
	while (c != '$');
	while ((c = get_char()) != '#') {
		if (n + 1 >= sizeof(reply))
			fail("%s", "reply too long");
		reply[n++] = c;
		sum += c;
	}
	reply[n] = 0;
	frame[0] = get_char();
	frame[1] = get_char();
	frame[2] = 0;
	if (sscanf(frame, "%2x", &got) != 1 || got != (sum & 0xff))
		fail("%s", "bad checksum in the reply");
	put("+", 1);
	return reply;
}

/* Send one packet and return the reply's payload. */
static char *transact(const char *payload)
{
	send_packet(payload);
	return receive();
}

static unsigned long long read_u64(unsigned long long addr)
{
	unsigned long long val;
	char cmd[64], *r;

	snprintf(cmd, sizeof(cmd), "m%llx,8", addr);
	r = transact(cmd);
	if (strlen(r) != 16 || sscanf(r, "%16llx", &val) != 1)
		fail("read refused: %s", r);
	return val;
}

/*
 * Run a monitor command; its output goes to @out (up to @size bytes, NUL
 * terminated) or, with @out NULL, to stdout.
 */
static void monitor(const char *command, char *out, size_t size)
{
	char cmd[1024], *r;
	unsigned int byte;
	size_t i, n = 0;

	strcpy(cmd, "qRcmd,");
	for (i = 0; command[i] && 6 + 2 * i + 3 < sizeof(cmd); i++)
		sprintf(cmd + 6 + 2 * i, "%02x", (unsigned char)command[i]);
	send_packet(cmd);
	if (!strcmp(command, "quit")) {
		/* QEMU exits: wait for the end of the connection. */
		while (read(rfd, cmd, sizeof(cmd)) > 0)
			;
		return;
	}
	for (;;) {
		r = receive();
		if (r[0] != 'O' || !strcmp(r, "OK"))
			break;
		for (i = 1; r[i] && r[i + 1]; i += 2) {
			sscanf(r + i, "%2x", &byte);
			if (!out)
				putchar(byte);
			else if (n + 1 < size)
				out[n++] = byte;
		}
	}
	if (strcmp(r, "OK"))
		fail("monitor command refused: %s", r);
	if (out)
		out[n] = 0;
}

/*
 * r3 of the vCPU, from the monitor's "info registers" (its GPR00 line
 * holds r0 to r3): QEMU 7.2's gdbstub answers "p" only to a debugger
 * that read its XML target description, and fails an assertion on "g"
 * for this CPU.
 */
static unsigned long long read_r3(void)
{
	static char regs[16384];
	unsigned long long r[4];
	char *line = NULL;

	monitor("info registers", regs, sizeof(regs));
	line = strstr(regs, "GPR00");
	if (!line || sscanf(line, "GPR00 %llx %llx %llx %llx", &r[0], &r[1],
			    &r[2], &r[3]) != 4)
		fail("%s", "no GPR00 line in the monitor's info registers");
	return r[3];
}

static void save_fdt(const char *file)
{
	unsigned long long base, hdr;
	unsigned int size, off, len, i, byte;
	char cmd[64], *r;
	FILE *f;

	base = read_r3();
	hdr = read_u64(base);
	if (hdr >> 32 != 0xd00dfeed)
		fail("%s", "r3 does not point to a flattened device tree");
	size = hdr & 0xffffffff;
	f = fopen(file, "w");
	if (!f)
		fail("cannot write %s", file);
	for (off = 0; off < size; off += len) {
		len = size - off < 1024 ? size - off : 1024;
		snprintf(cmd, sizeof(cmd), "m%llx,%x", base + off, len);
		r = transact(cmd);
		if (strlen(r) != 2 * len)
			fail("read refused: %s", r);
		for (i = 0; i < len; i++) {
			sscanf(r + 2 * i, "%2x", &byte);
			fputc(byte, f);
		}
	}
	if (fclose(f))
		fail("cannot write %s", file);
}

int main(int argc, char **argv)
{
	char cmd[128], path[4096];
	pid_t qemu = 0;
	int i;

	if (argc > 2 && !strcmp(argv[1], "-p")) {
		qemu = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: %s [-p PID] PIPE r:ADDR|w:ADDR=VALUE|fdt:FILE|mon:COMMAND...\n",
			argv[0]);
		return 2;
	}
	alarm(300);
	/* QEMU opens both FIFOs read-write: until then, nobody reads PIPE.in. */
	snprintf(path, sizeof(path), "%s.in", argv[1]);
	for (i = 0; i < 600; i++) {
		wfd = open(path, O_WRONLY | O_NONBLOCK);
		if (wfd >= 0 || errno != ENXIO)
			break;
		if (qemu && kill(qemu, 0)) {
			errno = 0;
			fail("QEMU exited before it opened %s", path);
		}
		usleep(100000);
	}
	if (wfd < 0 || fcntl(wfd, F_SETFL, 0))
		fail("QEMU does not read %s", path);
	snprintf(path, sizeof(path), "%s.out", argv[1]);
	rfd = open(path, O_RDONLY);
	if (rfd < 0)
		fail("cannot open %s", path);

	for (i = 2; i < argc; i++) {
		unsigned long long addr, val;
		char *r;

		errno = 0;
		if (!strncmp(argv[i], "fdt:", 4)) {
			save_fdt(argv[i] + 4);
		} else if (!strncmp(argv[i], "mon:", 4)) {
			monitor(argv[i] + 4, NULL, 0);
		} else if (sscanf(argv[i], "r:%llx", &addr) == 1 &&
			   !strchr(argv[i], '=')) {
			printf("%llx %016llx\n", addr, read_u64(addr));
		} else if (sscanf(argv[i], "w:%llx=%llx", &addr, &val) == 2) {
			snprintf(cmd, sizeof(cmd), "M%llx,8:%016llx", addr, val);
			r = transact(cmd);
			if (strcmp(r, "OK"))
				fail("write refused: %s", r);
		} else {
			fail("bad operation %s", argv[i]);
		}
	}
	fflush(stdout);
	return 0;
}
