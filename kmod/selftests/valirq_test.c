// SPDX-License-Identifier: GPL-2.0
/*
 * valirq selftests, TAP output. Run inside the virtual lab with the edu cards bound to valirq:
 *
 *	./validate vlab --topology shared-intx --bind valirq -- kmod/selftests/valirq_test shared-intx [REPS [NAME]]
 *
 * (make -C kmod check does that for every topology.) The topology decides the interrupt mode
 * under test: single-msi -> MSI, single-intx -> INTx exclusive, shared-intx -> INTx shared, with
 * the neighbour card interrupting through the fault tests. REPS (200) scales the kill and random
 * program tests; NAME runs only the tests whose name contains it. Needs VALIRQ_KO (or
 * VALIDATE_VALIRQ_KO: the path of valirq.ko) for the rmmod/insmod tests.
 *
 * The harness's own window on a valirq card is debugfs (valirq reserves its BARs, so sysfs
 * resourceN cannot be mapped): <debugfs>/valirq/ADDR/bar0 (pread/pwrite of 4 bytes at the
 * register's offset), .../stimulus (VALIRQ_IOC_STIMULUS) and .../revoke. A card bound to
 * uio_pci_generic is reached through sysfs resource0 and config.
 *
 * The same source built with gcc -m32 (valirq_test32) runs the compat subset:
 *	valirq_test32 compat TOPOLOGY
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>
#include <linux/valirq.h>

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_FACT	0x08
#define EDU_STATUS	0x20
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_RUN	0x1
#define EDU_DMA_TO_RAM	0x2	/* direction: EDU buffer -> RAM */
#define EDU_DMA_BUF	0x40000	/* the card's 4 KiB DMA buffer, as a device address */
#define EDU_DMA_MASK	((1ull << 28) - 1)	/* edu's default dma_mask: RAM below 256 MiB only */
/*
 * Bytes per transfer: QEMU 7.2's edu refuses (hw_error: QEMU aborts) a transfer that ends exactly at
 * the end of its 4 KiB buffer (its range check wants the end inside the buffer), so less than 4 KiB.
 */
#define EDU_DMA_LEN	2048
#define EDU_BAR0_SIZE	(1u << 20)
#define EVENT_TIMEOUT_MS 3000

/* The ABI is the same for 32- and 64-bit callers: no layout may depend on the word size. */
_Static_assert(sizeof(struct valirq_reg) == 8, "valirq_reg");
_Static_assert(sizeof(struct valirq_step) == 24, "valirq_step");
_Static_assert(sizeof(struct valirq_program) == 16 + 25 * 24, "valirq_program");
_Static_assert(sizeof(struct valirq_quiesce) == 8 + 8 * 24, "valirq_quiesce");
_Static_assert(sizeof(struct valirq_enable) == 16, "valirq_enable");
_Static_assert(sizeof(struct valirq_init) == 8 + 16 * 24, "valirq_init");
_Static_assert(sizeof(struct valirq_stimulus) == 24, "valirq_stimulus");
_Static_assert(sizeof(struct valirq_info) == 128, "valirq_info");
_Static_assert(sizeof(struct valirq_event) == 64, "valirq_event");
_Static_assert(_IOC_TYPE(VALIRQ_IOC_VERSION) == 0xBE, "ioctl magic");

static int test_no;
static const char *only;	/* run only tests whose name contains this */
static const char *topology = "";

/* Runs a test unless filtered out; the expression is evaluated only when it runs. */
#define RUN(expr, name) do { if (selected(name)) report((expr), (name)); } while (0)
static int failures;
static char last_error[1024];

static bool selected(const char *name)
{
	return !only || strstr(name, only);
}

static void fail_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

#define CHECK(cond, ...) do { if (!(cond)) { fail_msg(__VA_ARGS__); return false; } } while (0)
/* In functions that clean up: record the failure and jump to out. */
#define EXPECT(cond, ...) do { if (!(cond)) { fail_msg(__VA_ARGS__); goto out; } } while (0)

/* A failed test may leave its valirq file open; close it so that the next test can open the card. */
static void close_stray(void)
{
	char link[64], target[128];
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strncmp(target, "/dev/valirq-", 12) || !strncmp(target, "/dev/uio", 8))
			close(fd);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t test_started;

/*
 * The kernel log (/dev/kmsg), read after each test: a lost line ("nobody cared": the kernel then
 * polls it every 100 ms, so interrupts still arrive within any generous timeout), a BUG or a
 * WARNING while a test ran fails that test. The harness checks the whole log as well.
 */
static int kmsg_fd = -1;

static void kmsg_start(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/* The first kernel message since the last call that says a line or the kernel is in trouble. */
static bool kmsg_trouble(char *buf, size_t len)
{
	static const char *const bad[] = { "nobody cared", "Disabling IRQ", "BUG:", "WARNING:", "Oops", "blocked for more than" };
	bool found = false;
	char rec[1024];
	size_t i;

	while (kmsg_fd >= 0) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten meanwhile: go on with the next one */
		if (n <= 0)
			break;
		rec[n] = 0;
		rec[strcspn(rec, "\n")] = 0;
		for (i = 0; !found && i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(rec, bad[i])) {
				snprintf(buf, len, "%.*s", (int)len - 1, strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				found = true;
			}
		}
	}
	return found;
}

static void report(bool ok, const char *name)
{
	char line[300];

	close_stray();
	if (kmsg_trouble(line, sizeof(line))) {
		size_t n = strlen(last_error);

		snprintf(last_error + n, sizeof(last_error) - n, "%skernel log during the test: %s", ok ? "" : "; ", line);
		ok = false;
	}
	test_no++;
	if (ok) {
		printf("ok %d - %s\n", test_no, name);
	} else {
		failures++;
		printf("not ok %d - %s\n# %s\n", test_no, name, last_error);
	}
	printf("# (%.1f s)\n", (now_ns() - test_started) / 1e9);
	test_started = now_ns();
	fflush(stdout);
	last_error[0] = 0;
}

static void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* Cards ------------------------------------------------------------------------------------ */

struct card {
	char addr[32];
	char dev[64];
};

static struct card cards[4];
static int ncards;

static void find_cards(void)
{
	glob_t g;
	size_t i;

	if (glob("/dev/valirq-*", 0, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc && ncards < 4; i++) {
		snprintf(cards[ncards].dev, sizeof(cards[ncards].dev), "%s", g.gl_pathv[i]);
		snprintf(cards[ncards].addr, sizeof(cards[ncards].addr), "%s", g.gl_pathv[i] + strlen("/dev/valirq-"));
		ncards++;
	}
	globfree(&g);
}

static bool read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	buf[0] = 0;
	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* A sysfs attribute of the card's valirq device as text ("" when it cannot be read). */
static const char *attr(const struct card *c, const char *name, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/misc/valirq-%s/%s", c->addr, name);
	if (!read_text(path, buf, len))
		buf[0] = 0;
	return buf;
}

static long long counter(const struct card *c, const char *name)
{
	char buf[64];

	attr(c, name, buf, sizeof(buf));
	return buf[0] ? atoll(buf) : -1;
}

/* Whether sysfs intx_hold lists reason (off, handler, mismatch, loud). */
static bool hold_has(const struct card *c, const char *reason)
{
	char buf[128], *tok, *save;

	attr(c, "intx_hold", buf, sizeof(buf));
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, reason))
			return true;
	return false;
}

static bool write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok;
}

/* debugfs: the harness's window on a valirq card ------------------------------------------ */

static const char *dbg(const struct card *c, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "/sys/kernel/debug/valirq/%s/%s", c->addr, file);
	return buf;
}

/*
 * Register access through debugfs barN: opened for each access, so that no open file pins the
 * module (rmmod) or outlives an unbind.
 */
static int bar_access(const struct card *c, int bar, bool wr, uint32_t off, unsigned int width, void *v)
{
	char path[128], name[8];
	ssize_t n;
	int fd, e;

	snprintf(name, sizeof(name), "bar%d", bar);
	fd = open(dbg(c, name, path, sizeof(path)), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = wr ? pwrite(fd, v, width, off) : pread(fd, v, width, off);
	e = n < 0 ? -errno : n == (ssize_t)width ? 0 : -EIO;
	close(fd);
	return e;
}

static bool bar_read(const struct card *c, uint32_t off, uint32_t *v)
{
	int r = bar_access(c, 0, false, off, 4, v);

	errno = -r;
	return !r;
}

/* A register of BAR0, ~0 when it cannot be read (errno says why). */
static uint32_t bar_rd32(const struct card *c, uint32_t off)
{
	uint32_t v = ~0u;

	if (!bar_read(c, off, &v))
		v = ~0u;
	return v;
}

static bool bar_wr32(const struct card *c, uint32_t off, uint32_t v)
{
	int r = bar_access(c, 0, true, off, 4, &v);

	errno = -r;
	return !r;
}

/* Quiet the card from outside: acknowledge every interrupt, no factorial IRQ. */
static void card_silence(const struct card *c)
{
	bar_wr32(c, EDU_IRQ_ACK, 0xffffffff);
	bar_wr32(c, EDU_STATUS, 0);
}

static int stimulus_ioctl(const struct card *c, struct valirq_stimulus *st)
{
	char path[128];
	int fd = open(dbg(c, "stimulus", path, sizeof(path)), O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, VALIRQ_IOC_STIMULUS, st) ? -errno : 0;
	close(fd);
	return r;
}

/* Raises the card's interrupt with value through the stimulus hook; CLOCK_MONOTONIC before it, 0 on failure. */
static uint64_t stimulus(const struct card *c, uint32_t value)
{
	struct valirq_stimulus st = { .reg = { .bar = 0, .width = 4, .space = VALIRQ_SPACE_MEM, .offset = EDU_IRQ_RAISE },
				      .value = value };
	int r = stimulus_ioctl(c, &st);

	if (r) {
		errno = -r;
		return 0;
	}
	return st.before_ns;
}

/* PCI config space through sysfs (any driver) -------------------------------------------- */

static bool config_rw(const char *addr, bool wr, int off, void *v, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr);
	fd = open(path, wr ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return false;
	n = wr ? pwrite(fd, v, len, off) : pread(fd, v, len, off);
	close(fd);
	return n == (ssize_t)len;
}

static uint16_t pci_command(const char *addr)
{
	uint16_t v = 0xffff;

	config_rw(addr, false, PCI_COMMAND, &v, 2);
	return v;
}

/* PCI_STATUS_INTERRUPT: the function asserts INTx (whatever Interrupt Disable says). */
static bool intx_asserted(const char *addr)
{
	uint16_t v = 0;

	config_rw(addr, false, PCI_STATUS, &v, 2);
	return v & PCI_STATUS_INTERRUPT;
}

/* Drivers --------------------------------------------------------------------------------- */

static bool driver_is(const char *addr, const char *drv)
{
	char link[256], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = 0;
	return !strcmp(strrchr(target, '/') + 1, drv);
}

static bool wait_for_node(const char *dev, bool present)
{
	int i;

	for (i = 0; i < 400; i++) {
		if ((access(dev, F_OK) == 0) == present)
			return true;
		usleep(5000);
	}
	return false;
}

/* Rebinds a function to drv as a lab does: driver_override, unbind, drivers_probe. */
static bool bind_driver(const struct card *c, const char *drv)
{
	char path[256];
	int i;

	if (driver_is(c->addr, drv))
		return true;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", c->addr);
	if (!write_file(path, drv))
		return false;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", c->addr);
	if (access(path, F_OK) == 0 && !write_file(path, c->addr))
		return false;
	if (!write_file("/sys/bus/pci/drivers_probe", c->addr))
		return false;
	for (i = 0; i < 400 && !driver_is(c->addr, drv); i++)
		usleep(5000);
	if (!driver_is(c->addr, drv))
		return false;
	return strcmp(drv, "valirq") || wait_for_node(c->dev, true);
}

static bool unbind_valirq(const struct card *c)
{
	return write_file("/sys/bus/pci/drivers/valirq/unbind", c->addr);
}

static bool rebind_valirq(const struct card *c)
{
	return write_file("/sys/bus/pci/drivers_probe", c->addr) && wait_for_node(c->dev, true);
}

/* BAR0 of a card bound to uio_pci_generic, through sysfs resource0 (uio does not reserve it). */
static volatile uint32_t *resource0(const struct card *c)
{
	char path[256];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", c->addr);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Programs for the edu card -------------------------------------------------------------- */

static struct valirq_reg edu_reg(uint32_t offset)
{
	struct valirq_reg r = { .bar = 0, .width = 4, .space = VALIRQ_SPACE_MEM, .offset = offset };

	return r;
}

/* Ours when the interrupt status is not 0; ack by writing back what was read. */
static struct valirq_program edu_program(void)
{
	struct valirq_program p;

	memset(&p, 0, sizeof(p));
	p.check.reg = edu_reg(EDU_IRQ_STATUS);
	p.check.op = VALIRQ_OP_READ_NE;
	p.check.mask = 0xffffffff;
	p.n_ack = 1;
	p.ack[0].reg = edu_reg(EDU_IRQ_ACK);
	p.ack[0].op = VALIRQ_OP_WRITE_STATUS;
	p.ack[0].mask = 0xffffffff;
	return p;
}

static struct valirq_quiesce edu_quiesce(void)
{
	struct valirq_quiesce q;

	memset(&q, 0, sizeof(q));
	q.n_steps = 2;
	q.policy = VALIRQ_RELEASE_QUIESCE;
	q.steps[0].reg = edu_reg(EDU_IRQ_ACK);
	q.steps[0].op = VALIRQ_OP_WRITE;
	q.steps[0].value = 0xffffffff;
	q.steps[1].reg = edu_reg(EDU_STATUS);
	q.steps[1].op = VALIRQ_OP_CLEAR_BITS;
	q.steps[1].mask = 0x80;
	return q;
}

/* A "quiesce" that touches the wrong register: the card stays asserted. */
static struct valirq_quiesce broken_quiesce(void)
{
	struct valirq_quiesce q;

	memset(&q, 0, sizeof(q));
	q.n_steps = 1;
	q.policy = VALIRQ_RELEASE_QUIESCE;
	q.steps[0].reg = edu_reg(EDU_LIVENESS);
	q.steps[0].op = VALIRQ_OP_WRITE;
	q.steps[0].value = 0;
	return q;
}

/* How a mode is driven: with the IRQ program (kernel acks), or without (user acks via BAR). */
struct setup {
	uint32_t mode;
	bool program;
	uint32_t flags;
};

static const char *mode_name(uint32_t mode)
{
	return mode == VALIRQ_MODE_MSI ? "MSI" : mode == VALIRQ_MODE_INTX_EXCLUSIVE ? "INTx exclusive" :
	       mode == VALIRQ_MODE_INTX_SHARED ? "INTx shared" : mode == VALIRQ_MODE_MSIX ? "MSI-X" : "?";
}

static const char *setup_name(const struct setup *s)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s, %s%s%s", mode_name(s->mode),
		 s->program ? "IRQ program" : (s->mode == VALIRQ_MODE_INTX_SHARED ? "PCI 2.3 masking" : "no program"),
		 s->flags & VALIRQ_ENABLE_AUTOREARM ? ", autorearm" : "",
		 s->flags & VALIRQ_ENABLE_BUSMASTER ? ", busmaster" : "");
	return buf;
}

/* The topology's own mode, and its INTx mode (single-msi's card has an INTx line of its own too). */
static bool topo_msi(void)
{
	return !strcmp(topology, "single-msi") || !strcmp(topology, "msi-reset");
}

static uint32_t topo_mode(void)
{
	return topo_msi() ? VALIRQ_MODE_MSI :
	       !strcmp(topology, "shared-intx") ? VALIRQ_MODE_INTX_SHARED : VALIRQ_MODE_INTX_EXCLUSIVE;
}

static uint32_t topo_intx_mode(void)
{
	return !strcmp(topology, "shared-intx") ? VALIRQ_MODE_INTX_SHARED : VALIRQ_MODE_INTX_EXCLUSIVE;
}

/* Opens a card, installs p (when s->program) and q, enables; the fd, or -errno. */
static int open_enabled_prog(const struct card *c, const struct setup *s, const struct valirq_program *p,
			     const struct valirq_quiesce *q)
{
	struct valirq_enable en = { .mode = s->mode, .flags = s->flags };
	int fd = open(c->dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if ((s->program && ioctl(fd, VALIRQ_IOC_SET_PROGRAM, p)) ||
	    (q && ioctl(fd, VALIRQ_IOC_SET_QUIESCE, q)) ||
	    ioctl(fd, VALIRQ_IOC_ENABLE, &en)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int open_enabled(const struct card *c, const struct setup *s, const struct valirq_quiesce *q)
{
	struct valirq_program p = edu_program();

	return open_enabled_prog(c, s, &p, q);
}

static int wait_event(int fd, struct valirq_event *ev, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r = poll(&pfd, 1, timeout_ms);

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = read(fd, ev, sizeof(*ev));
	if (n < 0)
		return -errno;
	return n == sizeof(*ev) ? 0 : -EIO;
}

/* Handle one event as a driver would: ack the card itself when the kernel did not, then re-arm. */
static int handle(int fd, const struct setup *s, const struct card *c)
{
	uint32_t one = 1;

	if (!s->program)
		bar_wr32(c, EDU_IRQ_ACK, bar_rd32(c, EDU_IRQ_STATUS));
	if (s->flags & VALIRQ_ENABLE_AUTOREARM)
		return 0;
	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

static int nonblock_drain(int fd, struct valirq_event *evs, int max)
{
	int flags = fcntl(fd, F_GETFL), n = 0;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while (n < max) {
		ssize_t got = read(fd, evs + n, (max - n) * sizeof(*evs));

		if (got <= 0)
			break;
		n += got / sizeof(*evs);
	}
	fcntl(fd, F_SETFL, flags);
	return n;
}

/* Polls a sysfs counter until it reaches want (or the deadline); its last value. */
static long long wait_counter(const struct card *c, const char *name, long long want, int timeout_ms)
{
	uint64_t end = now_ns() + timeout_ms * 1000000ull;
	long long v;

	while ((v = counter(c, name)) < want && now_ns() < end)
		usleep(200);
	return v;
}

/* Tests ------------------------------------------------------------------------------------ */

static bool t_version_info(const struct card *c)
{
	struct valirq_info info;
	char path[256], buf[64];
	uint32_t v = 0;
	int fd = open(c->dev, O_RDWR), i;

	CHECK(fd >= 0, "open %s: %s", c->dev, strerror(errno));
	CHECK(!ioctl(fd, VALIRQ_IOC_VERSION, &v) && v == VALIRQ_UAPI_VERSION, "version %u, want %u", v, VALIRQ_UAPI_VERSION);
	memset(&info, 0xa5, sizeof(info));
	CHECK(!ioctl(fd, VALIRQ_IOC_INFO, &info), "INFO: %s", strerror(errno));
	/* v1's numbers ('V', which collide with VT_* and V4L2) are gone. */
	CHECK(ioctl(fd, _IOR('V', 0x00, __u32), &v) == -1 && errno == ENOTTY, "v1 VERSION number: want ENOTTY, got %s",
	      strerror(errno));
	CHECK(ioctl(fd, _IO('V', 0x06)) == -1 && errno == ENOTTY, "_IO('V', 6) (VT_ACTIVATE): want ENOTTY, got %s", strerror(errno));
	CHECK(ioctl(fd, _IO(VALIRQ_IOC_MAGIC, 0x1f)) == -1 && errno == ENOTTY, "unknown command: want ENOTTY");
	close(fd);
	CHECK(info.version == VALIRQ_UAPI_VERSION, "INFO version %u", info.version);
	CHECK(info.vendor == 0x1234 && info.device == 0x11e8, "ids %04x:%04x", info.vendor, info.device);
	CHECK((info.bars[0].flags & VALIRQ_BAR_PRESENT) && !(info.bars[0].flags & VALIRQ_BAR_IO) &&
	      (info.bars[0].flags & VALIRQ_BAR_MMAP) && info.bars[0].size == EDU_BAR0_SIZE,
	      "BAR0 flags %x size %llu (want present, memory, mmap-able, 1 MiB)", info.bars[0].flags,
	      (unsigned long long)info.bars[0].size);
	for (i = 0; i < 6; i++)
		CHECK(!info.bars[i].reserved, "BAR%d reserved field 0x%x", i, info.bars[i].reserved);
	for (i = 1; i < 6; i++)
		CHECK(!(info.bars[i].flags & VALIRQ_BAR_PRESENT), "BAR%d should be absent", i);
	CHECK(info.msi_capable == 1 && info.irq_pin == 1, "msi %u pin %u", info.msi_capable, info.irq_pin);
	CHECK(info.msix_vectors == 0, "edu has no MSI-X; INFO says %u vectors", info.msix_vectors);
	CHECK(!info.reserved16 && !info.reserved32, "INFO reserved fields 0x%x 0x%x", info.reserved16, info.reserved32);
	CHECK(info.intx_mask_capable == 1, "edu has PCI 2.3 INTx masking; INFO says %u", info.intx_mask_capable);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/irq", c->addr);
	CHECK(read_text(path, buf, sizeof(buf)) && (uint32_t)atoi(buf) == info.legacy_irq, "legacy_irq %u, sysfs irq %s",
	      info.legacy_irq, buf);
	CHECK(!(info.flags & ~(VALIRQ_INFO_BUSMASTER | VALIRQ_INFO_RESET)), "unknown INFO flags 0x%x", info.flags);
	CHECK(!(info.flags & VALIRQ_INFO_BUSMASTER), "INFO says bus mastering is on with no interrupts enabled");
	printf("# info: legacy irq %u, flags 0x%x (reset method: %s)\n", info.legacy_irq, info.flags,
	       info.flags & VALIRQ_INFO_RESET ? "yes" : "no");
	return true;
}

static bool t_second_open_busy(const struct card *c)
{
	int a = open(c->dev, O_RDWR), b, e;

	CHECK(a >= 0, "open: %s", strerror(errno));
	b = open(c->dev, O_RDWR);
	e = errno;
	close(a);
	if (b >= 0)
		close(b);
	CHECK(b < 0 && e == EBUSY, "second open: %s, want EBUSY", b < 0 ? strerror(e) : "succeeded");
	a = open(c->dev, O_RDWR);
	CHECK(a >= 0, "open after close: %s", strerror(errno));
	close(a);
	return true;
}

/* Drops one capability from the calling thread's effective and permitted sets. */
static int drop_capability(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	d[cap / 32].inheritable &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d);
}

/* open needs CAP_SYS_RAWIO on top of the node's mode (root without it is refused). */
static bool t_cap_sys_rawio(const struct card *c)
{
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		if (drop_capability(CAP_SYS_RAWIO))
			_exit(10);
		fd = open(c->dev, O_RDWR);
		if (fd >= 0)
			_exit(11);
		_exit(errno == EPERM ? 0 : 12);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child did not finish");
	CHECK(WEXITSTATUS(status) != 10, "capset: could not drop CAP_SYS_RAWIO");
	CHECK(WEXITSTATUS(status) != 11, "root without CAP_SYS_RAWIO opened %s", c->dev);
	CHECK(WEXITSTATUS(status) == 0, "open without CAP_SYS_RAWIO failed, but not with EPERM");
	/* With it (dropping another capability changes nothing). */
	pid = fork();
	if (pid == 0) {
		if (drop_capability(CAP_NET_ADMIN))
			_exit(10);
		fd = open(c->dev, O_RDWR);
		_exit(fd >= 0 ? 0 : 11);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "open with CAP_SYS_RAWIO (CAP_NET_ADMIN dropped) failed: status %d", WEXITSTATUS(status));
	return true;
}

/* The BARs are reserved (sysfs resource0 cannot be mapped); debugfs barN is the harness's window. */
static bool t_bars_reserved(const struct card *c)
{
	char path[256];
	uint32_t v = 0x11223344, back = 0;
	uint8_t b3[3];
	void *p;
	int fd, r;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", c->addr);
	fd = open(path, O_RDWR | O_SYNC);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	CHECK(p == MAP_FAILED, "sysfs resource0 of a valirq card could be mapped: the BARs are not reserved");
	snprintf(path, sizeof(path), "/sys/class/misc/valirq-%s/revoke", c->addr);
	CHECK(access(path, F_OK) != 0, "sysfs revoke still exists (moved to debugfs)");
	CHECK(bar_rd32(c, EDU_ID) == 0x010000ed, "debugfs bar0: identification 0x%x (%s)", bar_rd32(c, EDU_ID), strerror(errno));
	CHECK(bar_wr32(c, EDU_LIVENESS, v) && bar_read(c, EDU_LIVENESS, &back) && back == ~v,
	      "debugfs bar0: liveness 0x%x after writing 0x%x (%s)", back, v, strerror(errno));
	r = bar_access(c, 0, false, EDU_LIVENESS, 3, b3);
	CHECK(r == -EINVAL, "debugfs bar0: a 3-byte read: %s, want EINVAL", r ? strerror(-r) : "accepted");
	r = bar_access(c, 0, false, EDU_LIVENESS + 2, 4, &back);
	CHECK(r == -EINVAL, "debugfs bar0: a misaligned 4-byte read: %s, want EINVAL", r ? strerror(-r) : "accepted");
	r = bar_access(c, 0, false, EDU_BAR0_SIZE, 4, &back);
	CHECK(r != 0, "debugfs bar0: a read at the BAR's size was served");
	r = bar_access(c, 0, false, EDU_BAR0_SIZE - 4, 4, &back);
	CHECK(r == 0, "debugfs bar0: the BAR's last register: %s", strerror(-r));
	r = bar_access(c, 1, false, 0, 4, &back);
	CHECK(r == -ENOENT, "debugfs bar1 of a card with no BAR1: %s, want ENOENT", r ? strerror(-r) : "readable");
	return true;
}

enum bad_target { PROG, QUIES, ENABLE, STIM, STIM_DEV, INIT };

struct bad_case {
	const char *name;
	enum bad_target target;
	int err;
	void (*edit)(struct valirq_program *p, struct valirq_quiesce *q, struct valirq_enable *en, struct valirq_stimulus *st,
		     struct valirq_init *in);
};

#define EDIT(fn, body) \
static void fn(struct valirq_program *p, struct valirq_quiesce *q, struct valirq_enable *en, struct valirq_stimulus *st, \
	       struct valirq_init *in) \
{ (void)p; (void)q; (void)en; (void)st; (void)in; body; }

EDIT(e_bar6, p->ack[0].reg.bar = 6)
EDIT(e_bar1, p->check.reg.bar = 1)
EDIT(e_io, p->check.reg.space = VALIRQ_SPACE_IO)
EDIT(e_end4, p->ack[0].reg.offset = EDU_BAR0_SIZE)
EDIT(e_end2, p->ack[0].reg.width = 2; p->ack[0].reg.offset = EDU_BAR0_SIZE)
EDIT(e_end1, p->check.reg.width = 1; p->check.reg.offset = EDU_BAR0_SIZE)
EDIT(e_wrap, p->ack[0].reg.offset = 0xfffffffc)
EDIT(e_misaligned, p->check.reg.offset = 0x22)
EDIT(e_width3, p->check.reg.width = 3)
EDIT(e_width0, p->ack[0].reg.width = 0)
EDIT(e_width8, p->ack[0].reg.width = 8)
/* Every slot a valid step, so that the count is the only thing wrong. */
static void fill_steps(struct valirq_step *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].reg = edu_reg(EDU_LIVENESS);
		s[i].op = VALIRQ_OP_WRITE;
	}
}

static void fill_program(struct valirq_program *p)
{
	fill_steps(p->ack + 1, VALIRQ_MAX_STEPS - 1);
	fill_steps(p->mask, VALIRQ_MAX_STEPS);
	fill_steps(p->unmask, VALIRQ_MAX_STEPS);
}

EDIT(e_9ack, fill_program(p); p->n_ack = 9)
EDIT(e_9mask, fill_program(p); p->n_mask = 9)
EDIT(e_9unmask, fill_program(p); p->n_unmask = 9)
EDIT(e_write_check, p->check.op = VALIRQ_OP_WRITE)
EDIT(e_read_ack, p->ack[0].op = VALIRQ_OP_READ_EQ)
EDIT(e_op0, p->ack[0].op = 0)
EDIT(e_op7, p->ack[0].op = 7)
EDIT(e_reg_reserved, p->ack[0].reg.reserved = 1)
EDIT(e_check_reg_reserved, p->check.reg.reserved = 0x80)
EDIT(e_step_reserved, p->check.reserved = 1)
EDIT(e_unmask_reserved, p->n_unmask = 1; p->unmask[0] = p->ack[0]; p->unmask[0].reserved = 0x100)
EDIT(e_prog_flags, p->flags = 1u << 1)
EDIT(e_prog_flags_high, p->flags = 0x80000000)
EDIT(e_q9, fill_steps(q->steps + 2, VALIRQ_MAX_STEPS - 2); q->n_steps = 9)
EDIT(e_q_policy, q->policy = 3)
EDIT(e_q_policy_high, q->policy = 0x80000000)
EDIT(e_q_step_reserved, q->steps[1].reserved = 1)
EDIT(e_q_reg_reserved, q->steps[0].reg.reserved = 1)
EDIT(e_q_read, q->steps[0].op = VALIRQ_OP_READ_NE)
EDIT(e_q_end, q->steps[0].reg.offset = EDU_BAR0_SIZE)
EDIT(e_en_flag2, en->flags |= 1u << 2)
EDIT(e_en_flag31, en->flags |= 1u << 31)
EDIT(e_en_mode, en->mode = 5)
EDIT(e_en_reserved, en->reserved = 1)
EDIT(e_en_vectors, en->vectors = 1)
EDIT(e_en_msix_edu, en->mode = VALIRQ_MODE_MSIX; en->vectors = 1)
EDIT(e_st_end, st->reg.offset = EDU_BAR0_SIZE)
EDIT(e_st_misaligned, st->reg.offset = EDU_IRQ_RAISE + 2)
EDIT(e_st_reserved, st->reserved = 1)
EDIT(e_st_reg_reserved, st->reg.reserved = 1)
EDIT(e_st_bar1, st->reg.bar = 1)
EDIT(e_none, (void)0)
EDIT(e_in_status, in->init[0].op = VALIRQ_OP_WRITE_STATUS)
EDIT(e_in_dis_status, in->disable[0].op = VALIRQ_OP_WRITE_STATUS)
EDIT(e_in_read, in->init[0].op = VALIRQ_OP_READ_NE)
EDIT(e_in_9, fill_steps(in->init, VALIRQ_MAX_STEPS); in->n_init = 9)
EDIT(e_in_dis_9, fill_steps(in->disable, VALIRQ_MAX_STEPS); in->n_disable = 9)
EDIT(e_in_end, in->init[0].reg.offset = EDU_BAR0_SIZE)
EDIT(e_in_bar1, in->disable[0].reg.bar = 1)
EDIT(e_in_misaligned, in->disable[0].reg.offset = EDU_LIVENESS + 2)
EDIT(e_in_reserved, in->init[0].reserved = 1)
EDIT(e_in_reg_reserved, in->disable[0].reg.reserved = 1)

/* A valid init: one harmless write each way (the liveness register), to be broken by the cases. */
static struct valirq_init edu_init(void)
{
	struct valirq_init in;

	memset(&in, 0, sizeof(in));
	in.n_init = 1;
	in.n_disable = 1;
	fill_steps(in.init, 1);
	fill_steps(in.disable, 1);
	return in;
}

/*
 * Each class of bad input, one TAP line each: rejected with EINVAL (ENOTTY for the stimulus on the
 * device), and nothing installed: after a rejected enable the same file enables and gets an interrupt.
 */
static void t_bad_inputs(const struct card *c)
{
	static const struct bad_case cases[] = {
		{ "unknown BAR (6)", PROG, EINVAL, e_bar6 },
		{ "absent BAR (1)", PROG, EINVAL, e_bar1 },
		{ "I/O space for a memory BAR", PROG, EINVAL, e_io },
		{ "offset+width beyond the BAR: aligned offset = BAR size, width 4", PROG, EINVAL, e_end4 },
		{ "offset+width beyond the BAR: aligned offset = BAR size, width 2", PROG, EINVAL, e_end2 },
		{ "offset+width beyond the BAR: aligned offset = BAR size, width 1", PROG, EINVAL, e_end1 },
		{ "offset 0xfffffffc (offset+width wraps a u32)", PROG, EINVAL, e_wrap },
		{ "misaligned offset", PROG, EINVAL, e_misaligned },
		{ "width 3", PROG, EINVAL, e_width3 },
		{ "width 0", PROG, EINVAL, e_width0 },
		{ "width 8", PROG, EINVAL, e_width8 },
		{ "9 ack steps", PROG, EINVAL, e_9ack },
		{ "9 mask steps", PROG, EINVAL, e_9mask },
		{ "9 unmask steps", PROG, EINVAL, e_9unmask },
		{ "write op as the check", PROG, EINVAL, e_write_check },
		{ "read op as an ack step", PROG, EINVAL, e_read_ack },
		{ "unknown op 0 as an ack step", PROG, EINVAL, e_op0 },
		{ "unknown op 7 as an ack step", PROG, EINVAL, e_op7 },
		{ "register reserved field set (ack step)", PROG, EINVAL, e_reg_reserved },
		{ "register reserved field set (check)", PROG, EINVAL, e_check_reg_reserved },
		{ "step reserved field set (check)", PROG, EINVAL, e_step_reserved },
		{ "step reserved field set (unmask step)", PROG, EINVAL, e_unmask_reserved },
		{ "unknown program flag (bit 1)", PROG, EINVAL, e_prog_flags },
		{ "unknown program flag (bit 31)", PROG, EINVAL, e_prog_flags_high },
		{ "9 quiesce steps", QUIES, EINVAL, e_q9 },
		{ "unknown quiesce policy (3)", QUIES, EINVAL, e_q_policy },
		{ "unknown quiesce policy (0x80000000)", QUIES, EINVAL, e_q_policy_high },
		{ "quiesce step reserved field set", QUIES, EINVAL, e_q_step_reserved },
		{ "quiesce register reserved field set", QUIES, EINVAL, e_q_reg_reserved },
		{ "read op as a quiesce step", QUIES, EINVAL, e_q_read },
		{ "quiesce step beyond the BAR", QUIES, EINVAL, e_q_end },
		{ "unknown enable flag (bit 2)", ENABLE, EINVAL, e_en_flag2 },
		{ "unknown enable flag (bit 31)", ENABLE, EINVAL, e_en_flag31 },
		{ "unknown enable mode (5)", ENABLE, EINVAL, e_en_mode },
		{ "enable reserved field set", ENABLE, EINVAL, e_en_reserved },
		{ "enable vectors outside MSI-X mode", ENABLE, EINVAL, e_en_vectors },
		{ "MSI-X mode on a card without MSI-X", ENABLE, EINVAL, e_en_msix_edu },
		{ "stimulus beyond the BAR", STIM, EINVAL, e_st_end },
		{ "stimulus misaligned", STIM, EINVAL, e_st_misaligned },
		{ "stimulus reserved field set", STIM, EINVAL, e_st_reserved },
		{ "stimulus register reserved field set", STIM, EINVAL, e_st_reg_reserved },
		{ "stimulus on an absent BAR", STIM, EINVAL, e_st_bar1 },
		{ "stimulus ioctl on the device (debugfs only)", STIM_DEV, ENOTTY, e_none },
		{ "WRITE_STATUS as an init step", INIT, EINVAL, e_in_status },
		{ "WRITE_STATUS as a disable step", INIT, EINVAL, e_in_dis_status },
		{ "read op as an init step", INIT, EINVAL, e_in_read },
		{ "9 init steps", INIT, EINVAL, e_in_9 },
		{ "9 disable steps", INIT, EINVAL, e_in_dis_9 },
		{ "init step beyond the BAR", INIT, EINVAL, e_in_end },
		{ "disable step on an absent BAR", INIT, EINVAL, e_in_bar1 },
		{ "disable step misaligned", INIT, EINVAL, e_in_misaligned },
		{ "init step reserved field set", INIT, EINVAL, e_in_reserved },
		{ "disable step register reserved field set", INIT, EINVAL, e_in_reg_reserved },
		{ "SET_INIT with one init and one disable step", INIT, 0, e_none },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct valirq_program p = edu_program();
		struct valirq_quiesce q = edu_quiesce();
		struct valirq_enable en = { .mode = topo_mode(), .flags = 0 };
		struct valirq_stimulus st = { .reg = edu_reg(EDU_IRQ_RAISE), .value = 1 };
		struct valirq_init in = edu_init();
		struct valirq_event ev;
		char name[160];
		bool ok = false;
		int fd, r, e = 0;

		snprintf(name, sizeof(name), cases[i].err ? "rejects bad input: %s" : "accepts good input: %s", cases[i].name);
		if (!selected(name))
			continue;
		cases[i].edit(&p, &q, &en, &st, &in);
		fd = open(c->dev, O_RDWR);
		if (fd < 0) {
			fail_msg("open: %s", strerror(errno));
			report(false, name);
			continue;
		}
		switch (cases[i].target) {
		case PROG:
			r = ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p);
			break;
		case QUIES:
			r = ioctl(fd, VALIRQ_IOC_SET_QUIESCE, &q);
			break;
		case ENABLE:
			r = ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p);
			if (!r)
				r = ioctl(fd, VALIRQ_IOC_ENABLE, &en);
			break;
		case INIT:
			r = ioctl(fd, VALIRQ_IOC_SET_INIT, &in);
			break;
		case STIM:
			r = stimulus_ioctl(c, &st);
			errno = -r;
			r = r ? -1 : 0;
			break;
		default:
			r = ioctl(fd, VALIRQ_IOC_STIMULUS, &st);
			break;
		}
		e = errno;
		if (!cases[i].err)
			EXPECT(r == 0, "returned %d (%s), want it accepted", r, strerror(e));
		else
			EXPECT(r == -1 && e == cases[i].err, "returned %d (%s), want %s", r, r ? strerror(e) : "accepted",
			       strerror(cases[i].err));
		if (cases[i].target == ENABLE) {
			/* A rejected enable leaves nothing behind: the same file enables and is served. */
			struct setup s = { .mode = topo_mode(), .program = true };

			EXPECT(counter(c, "busmaster") == 0, "a rejected enable left bus mastering on");
			memset(&en, 0, sizeof(en));
			en.mode = topo_mode();
			EXPECT(!ioctl(fd, VALIRQ_IOC_ENABLE, &en), "enable after the rejected one: %s", strerror(errno));
			EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
			r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
			EXPECT(r == 0, "no interrupt after the rejected enable: %s", strerror(-r));
			handle(fd, &s, c);
		}
		ok = true;
out:
		close(fd);
		report(ok, name);
	}
}

/* The check for "offset+width beyond the BAR" is exactly at the end: the last register of each width is accepted. */
static bool t_bar_end_accepted(const struct card *c)
{
	static const uint8_t widths[] = { 4, 2, 1 };
	int fd = open(c->dev, O_RDWR);
	size_t i;

	CHECK(fd >= 0, "open: %s", strerror(errno));
	for (i = 0; i < sizeof(widths); i++) {
		struct valirq_program p = edu_program();
		struct valirq_quiesce q = edu_quiesce();

		p.ack[0].reg.width = widths[i];
		p.ack[0].reg.offset = EDU_BAR0_SIZE - widths[i];
		q.steps[0] = p.ack[0];
		if (ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p) || ioctl(fd, VALIRQ_IOC_SET_QUIESCE, &q)) {
			fail_msg("a step at offset BAR size - %u, width %u: %s, want accepted", widths[i], widths[i], strerror(errno));
			close(fd);
			return false;
		}
	}
	close(fd);
	return true;
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/* Touches a revoked SIGBUS-flavoured mapping; true when that raised SIGBUS. */
static bool touch_gets_sigbus(volatile uint32_t *map, uint32_t v)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool got = false;

	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(sigbus_jmp, 1))
		map[EDU_LIVENESS / 4] = v;
	else
		got = true;
	sigaction(SIGBUS, &old, NULL);
	return got;
}

/*
 * VALIRQ_IOC_REVOKE: the mapping lands in a scratch page whose writes never reach the card, the
 * interrupts are shut down, a REVOKED record is queued, ENABLE/ACK/write and the debugfs stimulus
 * get EPERM; the SIGBUS flavour raises SIGBUS. The next opener is not revoked.
 */
static bool t_revoke(const struct card *c)
{
	struct setup s = { .mode = topo_mode(), .program = true };
	struct valirq_enable en = { .mode = topo_mode() };
	struct valirq_event ev;
	long long r0 = counter(c, "revocations"), h0;
	volatile uint32_t *map = NULL;
	char buf[32];
	uint32_t one = 1;
	bool ok = false;
	void *p;
	int fd = open_enabled(c, &s, NULL), r;

	CHECK(fd >= 0, "open/enable: %s", strerror(-fd));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0));
	EXPECT(p != MAP_FAILED, "mmap BAR0: %s", strerror(errno));
	map = p;
	map[EDU_LIVENESS / 4] = 0x12345678;
	EXPECT(map[EDU_LIVENESS / 4] == ~0x12345678u, "liveness through the mapping: 0x%x", map[EDU_LIVENESS / 4]);
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x12345678u, "liveness through debugfs bar0: 0x%x", bar_rd32(c, EDU_LIVENESS));
	EXPECT(!ioctl(fd, VALIRQ_IOC_REVOKE), "REVOKE: %s", strerror(errno));
	map[EDU_LIVENESS / 4] = 0x0badf00d;	/* lands in the scratch page */
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x12345678u, "a write after revocation reached the card: liveness 0x%x",
	       bar_rd32(c, EDU_LIVENESS));
	EXPECT(map[EDU_LIVENESS / 4] == 0x0badf00d, "revoked mapping should read the scratch page, reads 0x%x",
	       map[EDU_LIVENESS / 4]);
	EXPECT(counter(c, "revocations") - r0 == 1, "sysfs revocations +%lld", counter(c, "revocations") - r0);
	r = wait_event(fd, &ev, 1000);
	EXPECT(r == 0 && (ev.flags & VALIRQ_EV_REVOKED) && ev.count == 0, "no REVOKED record (%s, flags 0x%x, count %u)",
	       strerror(-r), ev.flags, ev.count);
	EXPECT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0)) == MAP_FAILED && errno == EPERM,
	       "mmap after revocation should fail with EPERM");
	EXPECT(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, VALIRQ_MMAP_OFFSET(0)) == MAP_FAILED, "MAP_PRIVATE accepted");
	/* Its interrupts are shut down. */
	EXPECT(!strcmp(attr(c, "mode", buf, sizeof(buf)), "off"), "sysfs mode '%s' after revocation, want off", buf);
	EXPECT(counter(c, "busmaster") == 0, "bus mastering on after revocation");
	EXPECT(!(pci_command(c->addr) & PCI_COMMAND_MASTER), "PCI command 0x%x: bus master still enabled", pci_command(c->addr));
	EXPECT(ioctl(fd, VALIRQ_IOC_ENABLE, &en) == -1 && errno == EPERM, "ENABLE after revocation: %s, want EPERM",
	       strerror(errno));
	EXPECT(ioctl(fd, VALIRQ_IOC_ACK) == -1 && errno == EPERM, "ACK after revocation: %s, want EPERM", strerror(errno));
	EXPECT(write(fd, &one, sizeof(one)) == -1 && errno == EPERM, "write(1) after revocation: %s, want EPERM", strerror(errno));
	errno = 0;
	EXPECT(!stimulus(c, 1) && errno == EPERM, "debugfs stimulus while the opener is revoked: %s, want EPERM",
	       errno ? strerror(errno) : "served (it wrote the card)");
	h0 = counter(c, "hardirqs");
	EXPECT(bar_wr32(c, EDU_IRQ_RAISE, 1), "raise through bar0: %s", strerror(errno));
	sleep_ms(100);
	EXPECT(counter(c, "hardirqs") == h0, "hardirqs +%lld after revocation", counter(c, "hardirqs") - h0);
	EXPECT(nonblock_drain(fd, &ev, 1) == 0, "a record after revocation");
	card_silence(c);
	munmap(p, 4096);
	map = NULL;
	close(fd);
	fd = -1;

	/* The next opener is not revoked: its stimulus is served. */
	fd = open_enabled(c, &s, NULL);
	EXPECT(fd >= 0, "open after a revoked opener: %s", strerror(-fd));
	EXPECT(stimulus(c, 1), "stimulus for the next opener: %s", strerror(errno));
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	EXPECT(r == 0 && !(ev.flags & VALIRQ_EV_REVOKED), "next opener: %s, flags 0x%x", strerror(-r), ev.flags);
	close(fd);

	/* SIGBUS flavour, chosen at mmap time. */
	fd = open(c->dev, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0) | VALIRQ_MMAP_SIGBUS);
	EXPECT(p != MAP_FAILED, "mmap BAR0 (SIGBUS): %s", strerror(errno));
	map = p;
	map[EDU_LIVENESS / 4] = 0x11111111;
	EXPECT(!ioctl(fd, VALIRQ_IOC_REVOKE), "REVOKE: %s", strerror(errno));
	EXPECT(touch_gets_sigbus(map, 0x22222222), "no SIGBUS after revocation");
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x11111111u, "the card saw a write after revocation (SIGBUS mapping)");
	ok = true;
out:
	if (map)
		munmap((void *)map, 4096);
	if (fd >= 0)
		close(fd);
	card_silence(c);
	return ok;
}

/*
 * No program step touches the card after revocation: an ack step that writes liveness does not run
 * for an interrupt raised after it, and the release runs no quiesce steps.
 */
static bool t_revoke_stops_programs(const struct card *c)
{
	struct setup s = { .mode = topo_mode(), .program = true };
	struct valirq_program p = edu_program();
	struct valirq_quiesce q;
	struct valirq_event ev;
	long long h0;
	bool ok = false;
	int fd, r;

	p.n_ack = 2;
	p.ack[1].reg = edu_reg(EDU_LIVENESS);
	p.ack[1].op = VALIRQ_OP_WRITE;
	p.ack[1].value = 0x5a5a5a5a;
	memset(&q, 0, sizeof(q));
	q.n_steps = 2;
	q.steps[0].reg = edu_reg(EDU_LIVENESS);
	q.steps[0].op = VALIRQ_OP_WRITE;
	q.steps[0].value = 0x3c3c3c3c;
	q.steps[1].reg = edu_reg(EDU_IRQ_ACK);
	q.steps[1].op = VALIRQ_OP_WRITE;
	q.steps[1].value = 0xffffffff;
	card_silence(c);
	fd = open_enabled_prog(c, &s, &p, &q);
	CHECK(fd >= 0, "open/enable: %s", strerror(-fd));
	EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	EXPECT(r == 0, "no event: %s", strerror(-r));
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x5a5a5a5au, "the ack step did not run before revocation (liveness 0x%x)",
	       bar_rd32(c, EDU_LIVENESS));
	EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	EXPECT(bar_wr32(c, EDU_LIVENESS, 0x11111111), "bar0: %s", strerror(errno));
	EXPECT(!ioctl(fd, VALIRQ_IOC_REVOKE), "REVOKE: %s", strerror(errno));
	h0 = counter(c, "hardirqs");
	EXPECT(bar_wr32(c, EDU_IRQ_RAISE, 4), "raise through bar0: %s", strerror(errno));
	sleep_ms(200);
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x11111111u, "an ack step wrote the card after revocation (liveness 0x%x)",
	       bar_rd32(c, EDU_LIVENESS));
	EXPECT(bar_rd32(c, EDU_IRQ_STATUS) == 4, "interrupt status 0x%x: something acked the card after revocation",
	       bar_rd32(c, EDU_IRQ_STATUS));
	EXPECT(counter(c, "hardirqs") == h0, "hardirqs +%lld after revocation", counter(c, "hardirqs") - h0);
	close(fd);
	fd = -1;
	sleep_ms(20);
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x11111111u && bar_rd32(c, EDU_IRQ_STATUS) == 4,
	       "the release of a revoked opener ran its quiesce steps (liveness 0x%x, status 0x%x)",
	       bar_rd32(c, EDU_LIVENESS), bar_rd32(c, EDU_IRQ_STATUS));
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	card_silence(c);
	return ok;
}

/*
 * Fills the ring with AUTOREARM interrupts (nobody reads): n raises, each seen by the hard IRQ
 * before the next; with until_overruns, stops early once sysfs overruns grew by that much (the IRQ
 * thread may fold several interrupts into one record, so raises alone do not say when it is full).
 */
static bool fill_ring(const struct card *c, int n, long long h0, long long until_overruns)
{
	long long o0 = counter(c, "overruns");
	int i;

	for (i = 0; i < n; i++) {
		if (!stimulus(c, 1)) {
			fail_msg("raise %d: stimulus: %s", i, strerror(errno));
			return false;
		}
		/* One interrupt per raise: wait until the kernel has seen it. */
		if (wait_counter(c, "hardirqs", h0 + i + 1, 2000) < h0 + i + 1) {
			fail_msg("raise %d: hardirqs +%lld", i, counter(c, "hardirqs") - h0);
			return false;
		}
		if (until_overruns && counter(c, "overruns") - o0 >= until_overruns)
			break;
	}
	return true;
}

/* The REVOKED record is never lost: revoke with a full ring, read everything, it is there. */
static bool t_revoke_full_ring(const struct card *c)
{
	struct setup s = { .mode = topo_mode(), .program = true, .flags = VALIRQ_ENABLE_AUTOREARM };
	static struct valirq_event ev[VALIRQ_RING_SIZE + 8];
	long long h0 = counter(c, "hardirqs"), o0 = counter(c, "overruns");
	int fd = open_enabled(c, &s, NULL), n, i, revoked = 0;
	bool ok = false;

	CHECK(fd >= 0, "open (%s): %s", setup_name(&s), strerror(-fd));
	if (!fill_ring(c, 4 * VALIRQ_RING_SIZE, h0, 5))
		goto out;
	sleep_ms(100);
	EXPECT(counter(c, "overruns") > o0, "the ring never overflowed (overruns +%lld)", counter(c, "overruns") - o0);
	EXPECT(!ioctl(fd, VALIRQ_IOC_REVOKE), "REVOKE: %s", strerror(errno));
	n = nonblock_drain(fd, ev, VALIRQ_RING_SIZE + 8);
	for (i = 0; i < n; i++)
		revoked += !!(ev[i].flags & VALIRQ_EV_REVOKED);
	EXPECT(n > 0 && (ev[n - 1].flags & VALIRQ_EV_REVOKED) && revoked == 1,
	       "read %d records after revoking with a full ring; REVOKED records %d, last flags 0x%x", n, revoked,
	       n ? ev[n - 1].flags : 0);
	EXPECT(n == VALIRQ_RING_SIZE - VALIRQ_RING_RESERVED + 1, "read %d records, want %d interrupt records + REVOKED", n,
	       VALIRQ_RING_SIZE - VALIRQ_RING_RESERVED);
	printf("# revoke with a full ring: %d records read, the last one REVOKED\n", n);
	ok = true;
out:
	close(fd);
	card_silence(c);
	return ok;
}

/* debugfs revoke: a fault injector from outside the driver; ENXIO when nobody has the device open. */
static bool t_revoke_debugfs(const struct card *c)
{
	struct valirq_enable en = { .mode = topo_mode() };
	volatile uint32_t *map;
	struct valirq_event ev;
	long long r0 = counter(c, "revocations");
	char path[256];
	bool ok = false;
	void *p = MAP_FAILED;
	int fd, r;

	dbg(c, "revoke", path, sizeof(path));
	CHECK(!write_file(path, "1") && errno == ENXIO, "revoke with no opener: want ENXIO, got %s", strerror(errno));
	fd = open(c->dev, O_RDWR);
	CHECK(fd >= 0, "open: %s", strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0));
	EXPECT(p != MAP_FAILED, "mmap BAR0: %s", strerror(errno));
	map = p;
	map[EDU_LIVENESS / 4] = 0x24681357;
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x24681357u, "liveness 0x%x", bar_rd32(c, EDU_LIVENESS));
	EXPECT(write_file(path, "1"), "writing 1 to debugfs revoke: %s", strerror(errno));
	map[EDU_LIVENESS / 4] = 0x0badf00d;	/* lands in the scratch page */
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x24681357u, "a write after the debugfs revoke reached the card: liveness 0x%x",
	       bar_rd32(c, EDU_LIVENESS));
	EXPECT(counter(c, "revocations") - r0 == 1, "sysfs revocations +%lld", counter(c, "revocations") - r0);
	r = wait_event(fd, &ev, 1000);
	EXPECT(r == 0 && (ev.flags & VALIRQ_EV_REVOKED), "no REVOKED record: %s", strerror(-r));
	EXPECT(ioctl(fd, VALIRQ_IOC_ENABLE, &en) == -1 && errno == EPERM, "ENABLE after the debugfs revoke: %s, want EPERM",
	       strerror(errno));
	ok = true;
out:
	if (p != MAP_FAILED)
		munmap(p, 4096);
	close(fd);
	return ok;
}

/* Bus mastering: INFO, sysfs and the PCI command register agree. */
static bool busmaster_is(const struct card *c, int fd, bool on, const char *when)
{
	struct valirq_info info;
	uint16_t cmd = pci_command(c->addr);

	if (fd >= 0 && ioctl(fd, VALIRQ_IOC_INFO, &info)) {
		fail_msg("%s: INFO: %s", when, strerror(errno));
		return false;
	}
	if ((fd >= 0 && !!(info.flags & VALIRQ_INFO_BUSMASTER) != on) || counter(c, "busmaster") != on ||
	    !!(cmd & PCI_COMMAND_MASTER) != on) {
		fail_msg("%s: bus mastering should be %s: INFO %s, sysfs busmaster %lld, PCI command 0x%04x", when,
			 on ? "on" : "off", fd < 0 ? "-" : info.flags & VALIRQ_INFO_BUSMASTER ? "on" : "off",
			 counter(c, "busmaster"), cmd);
		return false;
	}
	return true;
}

/* Off unless BUSMASTER is asked for or an MSI mode is enabled; cleared on disable, revocation, release. */
static bool t_busmaster(const struct card *c)
{
	struct valirq_program p = edu_program();
	uint32_t intx = topo_intx_mode();
	struct valirq_enable plain = { .mode = intx }, bm = { .mode = intx, .flags = VALIRQ_ENABLE_BUSMASTER },
			     msi = { .mode = VALIRQ_MODE_MSI };
	bool ok = false;
	int fd = open(c->dev, O_RDWR);

	CHECK(fd >= 0, "open: %s", strerror(errno));
	EXPECT(!ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p), "program: %s", strerror(errno));
	if (!busmaster_is(c, fd, false, "opened, not enabled"))
		goto out;
	EXPECT(!ioctl(fd, VALIRQ_IOC_ENABLE, &plain), "enable %s: %s", mode_name(intx), strerror(errno));
	if (!busmaster_is(c, fd, false, "INTx enabled without BUSMASTER"))
		goto out;
	EXPECT(!ioctl(fd, VALIRQ_IOC_DISABLE), "disable: %s", strerror(errno));
	EXPECT(!ioctl(fd, VALIRQ_IOC_ENABLE, &bm), "enable %s with BUSMASTER: %s", mode_name(intx), strerror(errno));
	if (!busmaster_is(c, fd, true, "INTx enabled with BUSMASTER"))
		goto out;
	EXPECT(!ioctl(fd, VALIRQ_IOC_DISABLE), "disable: %s", strerror(errno));
	if (!busmaster_is(c, fd, false, "after DISABLE"))
		goto out;
	if (topo_msi()) {
		EXPECT(!ioctl(fd, VALIRQ_IOC_ENABLE, &msi), "enable MSI: %s", strerror(errno));
		if (!busmaster_is(c, fd, true, "MSI enabled (an MSI is a memory write)"))
			goto out;
		EXPECT(!ioctl(fd, VALIRQ_IOC_DISABLE), "disable: %s", strerror(errno));
		if (!busmaster_is(c, fd, false, "after disabling MSI"))
			goto out;
	}
	EXPECT(!ioctl(fd, VALIRQ_IOC_ENABLE, &bm), "enable with BUSMASTER: %s", strerror(errno));
	EXPECT(!ioctl(fd, VALIRQ_IOC_REVOKE), "revoke: %s", strerror(errno));
	if (!busmaster_is(c, fd, false, "after REVOKE"))
		goto out;
	close(fd);
	fd = open(c->dev, O_RDWR);
	EXPECT(fd >= 0 && !ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p) && !ioctl(fd, VALIRQ_IOC_ENABLE, &bm),
	       "open/enable with BUSMASTER: %s", strerror(errno));
	if (!busmaster_is(c, fd, true, "enabled with BUSMASTER again"))
		goto out;
	close(fd);
	fd = -1;
	if (!busmaster_is(c, -1, false, "after release"))
		goto out;
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

static uint64_t phys_addr(const void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / 4096 * 8) != 8)
		e = 0;
	close(fd);
	if (!(e & (1ull << 63)))
		return 0;
	return (e & ((1ull << 55) - 1)) * 4096;
}

/*
 * n locked, zeroed pages that the edu card can reach (below its 256 MiB DMA mask; a device address
 * beyond it would be clamped into somebody else's memory), not inherited by children.
 */
static int dma_pages(uint8_t **pages, uint64_t *pa, int n)
{
	const size_t chunk = 32 << 20;
	uint8_t *chunks[24];
	int found = 0, nchunks = 0, i, k;

	/* Chunks stay mapped until the search ends, so that a freed page cannot come back. */
	while (nchunks < 24 && found < n) {
		uint8_t *m = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t off;

		if (m == MAP_FAILED)
			break;
		madvise(m, chunk, MADV_NOHUGEPAGE);
		if (mlock(m, chunk)) {
			munmap(m, chunk);
			break;
		}
		chunks[nchunks++] = m;
		for (off = 0; off < chunk && found < n; off += 4096) {
			uint64_t a = phys_addr(m + off);

			if (!a || a + 4096 > EDU_DMA_MASK + 1)
				continue;
			memset(m + off, 0, 4096);
			pages[found] = m + off;
			pa[found] = a;
			found++;
		}
	}
	/* Give back everything but the pages found. */
	for (i = 0; i < nchunks; i++) {
		uint8_t *m = chunks[i], *from = m;

		for (k = 0; k < found; k++) {
			if (pages[k] < m || pages[k] >= m + chunk)
				continue;
			if (pages[k] > from)
				munmap(from, pages[k] - from);
			madvise(pages[k], 4096, MADV_DONTFORK);
			from = pages[k] + 4096;
		}
		if (from < m + chunk)
			munmap(from, m + chunk - from);
	}
	return found;
}

static bool dma_wait(volatile uint32_t *map, int timeout_ms)
{
	uint64_t end = now_ns() + timeout_ms * 1000000ull;

	while (map[EDU_DMA_CMD / 4] & EDU_DMA_RUN) {
		if (now_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static void dma_start(volatile uint32_t *map, uint64_t src, uint64_t dst, uint32_t cmd)
{
	map[EDU_DMA_SRC / 4] = (uint32_t)src;
	map[EDU_DMA_DST / 4] = (uint32_t)dst;
	map[EDU_DMA_CNT / 4] = EDU_DMA_LEN;
	map[EDU_DMA_CMD / 4] = cmd | EDU_DMA_RUN;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Bus mastering is off after a kill and the card's DMA does not reach memory: first proven to work
 * with BUSMASTER (RAM -> edu -> another page), then a driver that started an edu -> RAM transfer is
 * SIGKILLed before the transfer happens (edu runs it 100 ms after the command): the page stays zero.
 */
static bool t_dma_after_kill(const struct card *c)
{
	struct setup s = { .mode = topo_mode(), .program = true, .flags = VALIRQ_ENABLE_BUSMASTER };
	uint8_t *pg[3];
	uint64_t pa[3], t_kill = 0, t_reaped = 0;
	volatile uint32_t *map = MAP_FAILED;
	int fd = -1, n, i, ready[2] = { -1, -1 }, status;
	char compact[16] = "", ch;
	bool ok = false;
	pid_t pid;

	/* Keep the pages where they are (no compaction of locked pages) while the card writes them. */
	read_text("/proc/sys/vm/compact_unevictable_allowed", compact, sizeof(compact));
	write_file("/proc/sys/vm/compact_unevictable_allowed", "0");
	n = dma_pages(pg, pa, 3);
	EXPECT(n == 3, "found %d pages below 256 MiB that the edu card can reach, want 3", n);
	for (i = 0; i < EDU_DMA_LEN; i++)
		pg[0][i] = (uint8_t)(i * 7 + 0x5b) | 1;
	card_silence(c);

	fd = open_enabled(c, &s, NULL);
	EXPECT(fd >= 0, "open/enable with BUSMASTER: %s", strerror(-fd));
	if (!busmaster_is(c, fd, true, "enabled with BUSMASTER"))
		goto out;
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0));
	EXPECT(map != MAP_FAILED, "mmap BAR0: %s", strerror(errno));
	EXPECT(dma_wait(map, 1000), "a DMA is still running on the card");
	dma_start(map, pa[0], EDU_DMA_BUF, 0);
	EXPECT(dma_wait(map, 2000), "RAM -> edu DMA did not finish");
	dma_start(map, EDU_DMA_BUF, pa[1], EDU_DMA_TO_RAM);
	EXPECT(dma_wait(map, 2000), "edu -> RAM DMA did not finish");
	EXPECT(!memcmp(pg[0], pg[1], 4096), "with BUSMASTER, RAM (0x%llx) -> edu -> RAM (0x%llx) did not copy the page",
	       (unsigned long long)pa[0], (unsigned long long)pa[1]);
	munmap((void *)map, 4096);
	map = MAP_FAILED;
	close(fd);
	fd = -1;
	if (!busmaster_is(c, -1, false, "after release"))
		goto out;

	EXPECT(!pipe(ready), "pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		volatile uint32_t *m;
		int cfd = open_enabled(c, &s, NULL);

		close(ready[0]);
		if (cfd < 0)
			_exit(10);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, VALIRQ_MMAP_OFFSET(0));
		if (m == MAP_FAILED)
			_exit(11);
		dma_start(m, EDU_DMA_BUF, pa[2], EDU_DMA_TO_RAM);
		if (write(ready[1], "G", 1) != 1)
			_exit(12);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	EXPECT(read(ready[0], &ch, 1) == 1 && ch == 'G', "the driver did not start its DMA");
	t_kill = now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	t_reaped = now_ns();
	sleep_ms(300);
	EXPECT(bar_rd32(c, EDU_DMA_DST) == (uint32_t)pa[2], "the killed driver's DMA was not programmed (dst 0x%x)",
	       bar_rd32(c, EDU_DMA_DST));
	EXPECT(!(bar_rd32(c, EDU_DMA_CMD) & EDU_DMA_RUN), "the card's DMA has not run 300 ms after the kill");
	EXPECT(all_zero(pg[2], 4096), "the card wrote memory after its driver was killed (page 0x%llx; kill to reaped %.1f ms)",
	       (unsigned long long)pa[2], (t_reaped - t_kill) / 1e6);
	if (!busmaster_is(c, -1, false, "after the kill"))
		goto out;
	printf("# DMA: works with BUSMASTER (pages 0x%llx -> edu -> 0x%llx); after a SIGKILL (reaped in %.1f ms) the "
	       "transfer to 0x%llx did not reach memory\n", (unsigned long long)pa[0], (unsigned long long)pa[1],
	       (t_reaped - t_kill) / 1e6, (unsigned long long)pa[2]);
	/* (On failure the pages stay: a transfer may still be on its way to them.) */
	for (i = 0; i < 3; i++)
		munmap(pg[i], 4096);
	ok = true;
out:
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (map != MAP_FAILED)
		munmap((void *)map, 4096);
	if (fd >= 0)
		close(fd);
	if (compact[0])
		write_file("/proc/sys/vm/compact_unevictable_allowed", compact);
	card_silence(c);
	return ok;
}

struct release_counts {
	long long quiesces, quiesce_failures, resets, reset_failures;
};

static struct release_counts release_counts(const struct card *c)
{
	struct release_counts r = { counter(c, "quiesces"), counter(c, "quiesce_failures"), counter(c, "resets"),
				    counter(c, "reset_failures") };

	return r;
}

/*
 * One release with quiesce program q (quiesce_silences: its steps acknowledge the card), the card
 * asserting (an interrupt delivered and not acknowledged) or silent. Expected by the rules of the
 * header: the steps run unless the policy is RESET; a reset is tried for RESET, and for
 * QUIESCE_THEN_RESET when the card still interrupts after the steps; the outcome is reset (a reset
 * worked and the card is silent), quiesced (steps, no reset, silent), none (nothing to do), else
 * neither. quiesces counts the steps run, quiesce_failures a card left interrupting, resets and
 * reset_failures the resets tried. Then the next opener's first record carries the outcome's flag.
 */
static bool release_round(const struct card *c, const struct setup *s, const struct valirq_quiesce *q,
			  bool quiesce_silences, bool asserting, bool can_reset, const char *what)
{
	struct valirq_quiesce good = edu_quiesce();
	struct release_counts r0, r1, d;
	struct valirq_event ev;
	bool steps = q->policy != VALIRQ_RELEASE_RESET && q->n_steps, loud_before, tried, reset_ok, loud;
	const char *want;
	uint32_t want_flag;
	char outcome[32];
	int fd, r;

	struct valirq_program noack = edu_program();

	/* The driver acknowledges the card itself (no ack steps), so that it can leave it asserting. */
	noack.n_ack = 0;
	card_silence(c);
	r0 = release_counts(c);
	fd = open_enabled_prog(c, s, &noack, q);
	CHECK(fd >= 0, "%s: open/enable: %s", what, strerror(-fd));
	if (!stimulus(c, 0x40) || wait_event(fd, &ev, EVENT_TIMEOUT_MS)) {
		close(fd);
		fail_msg("%s: no interrupt before the release", what);
		return false;
	}
	if (!asserting) {
		card_silence(c);
		ioctl(fd, VALIRQ_IOC_ACK);
	}
	close(fd);
	r1 = release_counts(c);
	loud = bar_rd32(c, EDU_IRQ_STATUS) != 0;
	loud_before = asserting && !(steps && quiesce_silences);
	tried = q->policy == VALIRQ_RELEASE_RESET || (q->policy == VALIRQ_RELEASE_QUIESCE_THEN_RESET && loud_before);
	reset_ok = tried && can_reset;
	CHECK(tried || loud == loud_before, "%s: the card %s after the release", what, loud ? "still interrupts" : "is silent");
	want = reset_ok && !loud ? "reset" : steps && !loud && !tried ? "quiesced" : !steps && !tried && !loud ? "none" : "neither";
	want_flag = !strcmp(want, "reset") ? VALIRQ_EV_RESET : !strcmp(want, "quiesced") ? VALIRQ_EV_QUIESCED :
		    !strcmp(want, "neither") ? VALIRQ_EV_UNQUIESCED : 0;
	d = (struct release_counts){ steps, loud, reset_ok, tried && !reset_ok };
	attr(c, "last_release", outcome, sizeof(outcome));
	CHECK(!strcmp(outcome, want), "%s: last_release '%s', want '%s'", what, outcome, want);
	CHECK(r1.quiesces - r0.quiesces == d.quiesces && r1.quiesce_failures - r0.quiesce_failures == d.quiesce_failures &&
	      r1.resets - r0.resets == d.resets && r1.reset_failures - r0.reset_failures == d.reset_failures,
	      "%s: quiesces +%lld quiesce_failures +%lld resets +%lld reset_failures +%lld, want +%lld +%lld +%lld +%lld",
	      what, r1.quiesces - r0.quiesces, r1.quiesce_failures - r0.quiesce_failures, r1.resets - r0.resets,
	      r1.reset_failures - r0.reset_failures, d.quiesces, d.quiesce_failures, d.resets, d.reset_failures);
	CHECK(!loud || (counter(c, "intx_disabled") == 1 && hold_has(c, "loud")), "%s: a card left interrupting is not "
	      "held INTx-disabled (intx_disabled %lld, intx_hold '%s')", what, counter(c, "intx_disabled"),
	      attr(c, "intx_hold", outcome, sizeof(outcome)));
	/*
	 * The next opener: a card left asserting INTx delivers its interrupt by itself (edu's reset
	 * drops its pin but keeps its status: then it is silenced and raised again).
	 */
	fd = open_enabled(c, s, &good);
	CHECK(fd >= 0, "%s: next opener: %s", what, strerror(-fd));
	r = wait_event(fd, &ev, loud && !reset_ok ? EVENT_TIMEOUT_MS : 200);
	if (r == -ETIMEDOUT && (!loud || reset_ok)) {
		card_silence(c);
		stimulus(c, 1);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	}
	handle(fd, s, c);
	close(fd);
	CHECK(r == 0, "%s: the next opener got no interrupt: %s", what, strerror(-r));
	CHECK((ev.flags & (VALIRQ_EV_QUIESCED | VALIRQ_EV_RESET | VALIRQ_EV_UNQUIESCED)) == want_flag,
	      "%s: the next opener's first record has flags 0x%x, want outcome flag 0x%x (%s)", what, ev.flags, want_flag, want);
	printf("# release %s: %s\n", what, want);
	return true;
}

/* Release policies: what the kernel did is in last_release, the counters and the next opener's first record. */
static bool t_release_policies(const struct card *c)
{
	struct setup s = { .mode = topo_intx_mode(), .program = true };
	struct valirq_quiesce good = edu_quiesce(), bad = broken_quiesce(), reset, none;
	struct valirq_info info;
	bool can_reset;
	int fd = open(c->dev, O_RDWR);

	CHECK(fd >= 0 && !ioctl(fd, VALIRQ_IOC_INFO, &info), "INFO: %s", strerror(errno));
	close(fd);
	can_reset = info.flags & VALIRQ_INFO_RESET;
	memset(&reset, 0, sizeof(reset));
	reset.policy = VALIRQ_RELEASE_RESET;
	memset(&none, 0, sizeof(none));
	if (!release_round(c, &s, &good, true, true, can_reset, "QUIESCE, working steps, card asserting") ||
	    !release_round(c, &s, &bad, false, true, can_reset, "QUIESCE, broken steps, card asserting") ||
	    !release_round(c, &s, &none, false, false, can_reset, "QUIESCE, no steps, card silent") ||
	    !release_round(c, &s, &reset, false, false, can_reset, "RESET, card silent") ||
	    !release_round(c, &s, &reset, false, true, can_reset, "RESET, card asserting"))
		return false;
	good.policy = bad.policy = VALIRQ_RELEASE_QUIESCE_THEN_RESET;
	if (!release_round(c, &s, &good, true, true, can_reset, "QUIESCE_THEN_RESET, working steps, card asserting") ||
	    !release_round(c, &s, &bad, false, true, can_reset, "QUIESCE_THEN_RESET, broken steps, card asserting"))
		return false;
	printf("# release policies (%s, reset method: %s): quiesces %lld quiesce_failures %lld resets %lld reset_failures %lld\n",
	       mode_name(s.mode), can_reset ? "yes" : "no", counter(c, "quiesces"), counter(c, "quiesce_failures"),
	       counter(c, "resets"), counter(c, "reset_failures"));
	card_silence(c);
	return true;
}

/*
 * The next opener starts clean: a card left asserting (interrupt delivered, not acknowledged, no
 * quiesce program) delivers that interrupt to the next opener, flagged UNQUIESCED, without a new raise.
 */
static bool t_next_opener_asserting(const struct card *c, const struct setup *s)
{
	struct valirq_program noack = edu_program();
	struct valirq_quiesce good = edu_quiesce();
	struct valirq_event ev;
	char outcome[32];
	int fd, r;

	/* The driver acknowledges the card itself (no ack steps), so it can leave it asserting. */
	noack.n_ack = 0;
	card_silence(c);
	fd = open_enabled_prog(c, s, &noack, NULL);
	CHECK(fd >= 0, "open/enable (%s): %s", setup_name(s), strerror(-fd));
	if (!stimulus(c, 0x2a) || wait_event(fd, &ev, EVENT_TIMEOUT_MS)) {
		close(fd);
		fail_msg("no first interrupt");
		return false;
	}
	close(fd);	/* not acknowledged, not re-armed */
	CHECK(bar_rd32(c, EDU_IRQ_STATUS) == 0x2a, "the card should still assert: status 0x%x", bar_rd32(c, EDU_IRQ_STATUS));
	CHECK(intx_asserted(c->addr), "PCI status: the card does not assert INTx");
	CHECK(!strcmp(attr(c, "last_release", outcome, sizeof(outcome)), "neither"), "last_release '%s', want neither", outcome);
	CHECK(counter(c, "intx_disabled") == 1 && (pci_command(c->addr) & PCI_COMMAND_INTX_DISABLE) && hold_has(c, "loud"),
	      "a card left asserting should be held INTx-disabled at the card (sysfs %lld, command 0x%04x, intx_hold '%s')",
	      counter(c, "intx_disabled"), pci_command(c->addr), attr(c, "intx_hold", outcome, sizeof(outcome)));
	fd = open_enabled(c, s, &good);
	CHECK(fd >= 0, "next opener: %s", strerror(-fd));
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	if (r) {
		close(fd);
		card_silence(c);
		fail_msg("the next opener did not get the interrupt the card was asserting: %s", strerror(-r));
		return false;
	}
	r = handle(fd, s, c);
	if (r || !(ev.flags & VALIRQ_EV_UNQUIESCED) || (s->program && ev.status != 0x2a)) {
		close(fd);
		card_silence(c);
		fail_msg("first record: flags 0x%x status 0x%x (want UNQUIESCED, 0x2a); re-arm %s", ev.flags, ev.status,
			 strerror(-r));
		return false;
	}
	stimulus(c, 1);
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	handle(fd, s, c);
	close(fd);
	CHECK(r == 0 && ev.seq == 2 && !(ev.flags & VALIRQ_EV_UNQUIESCED), "second interrupt: %s, seq %llu flags 0x%x",
	      strerror(-r), (unsigned long long)ev.seq, ev.flags);
	return true;
}

/* The neighbour on a shared line: its own driver (valirq), interrupting all along. */
struct neighbour {
	const struct card *card;
	volatile bool stop;
	long raised, handled, missed;	/* raised and handled: read by the test while the thread runs */
	bool done;			/* the thread ended (set last) */
	int error;
};

static void *neighbour_run(void *arg)
{
	struct neighbour *nb = arg;
	struct setup s = { .mode = VALIRQ_MODE_INTX_SHARED, .program = true };
	int fd = open_enabled(nb->card, &s, NULL);

	if (fd < 0) {
		nb->error = -fd;
		__atomic_store_n(&nb->done, true, __ATOMIC_RELEASE);
		return NULL;
	}
	while (!nb->stop) {
		struct valirq_event ev;

		if (!stimulus(nb->card, 1)) {
			nb->error = errno;
			break;
		}
		__atomic_add_fetch(&nb->raised, 1, __ATOMIC_RELAXED);
		if (wait_event(fd, &ev, EVENT_TIMEOUT_MS) == 0) {
			handle(fd, &s, nb->card);
			__atomic_add_fetch(&nb->handled, 1, __ATOMIC_RELEASE);
		} else {
			nb->missed++;
		}
		usleep(500);
	}
	close(fd);
	__atomic_store_n(&nb->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Waits until a neighbour thread's handled count is above `after`; false once its thread has ended
 * (done, when it has such a flag) or after timeout_ms.
 */
static bool handled_above(const long *handled, long after, const bool *done, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000;

	while (__atomic_load_n(handled, __ATOMIC_ACQUIRE) <= after) {
		if ((done && __atomic_load_n(done, __ATOMIC_ACQUIRE)) || now_ns() > end)
			return false;
		usleep(200);
	}
	return true;
}

/* Waits until the neighbour has handled more than `after` interrupts (or stopped); false after timeout_ms. */
static bool neighbour_wait(struct neighbour *nb, long after, int timeout_ms)
{
	return handled_above(&nb->handled, after, &nb->done, timeout_ms);
}

/*
 * Starts the neighbour and returns once it has had an interrupt served, so that the test's part runs
 * while the neighbour interrupts (a test of 0.1 s could otherwise end before the thread raised once).
 * On false the thread is stopped and joined.
 */
static bool neighbour_start(struct neighbour *nb, pthread_t *th)
{
	pthread_create(th, NULL, neighbour_run, nb);
	if (neighbour_wait(nb, 0, EVENT_TIMEOUT_MS))
		return true;
	nb->stop = true;
	pthread_join(*th, NULL);
	fail_msg("neighbour %s: no interrupt served within %d ms of its start (raised %ld, error %s)", nb->card->addr,
		 EVENT_TIMEOUT_MS, __atomic_load_n(&nb->raised, __ATOMIC_RELAXED), strerror(nb->error));
	return false;
}

/*
 * The neighbour was unharmed: every interrupt it raised was served, and the line still serves it
 * after the test's part (one more interrupt handled), then the thread is stopped and joined.
 */
static bool neighbour_ok(struct neighbour *nb, pthread_t th, const char *what)
{
	bool after = neighbour_wait(nb, __atomic_load_n(&nb->handled, __ATOMIC_ACQUIRE), EVENT_TIMEOUT_MS);

	nb->stop = true;
	pthread_join(th, NULL);
	if (nb->error || nb->missed || nb->handled != nb->raised || !after) {
		fail_msg("%s; neighbour %s: raised %ld handled %ld missed %ld error %s%s", what, nb->card->addr, nb->raised,
			 nb->handled, nb->missed, strerror(nb->error), after ? "" : "; none served after the test's part");
		return false;
	}
	printf("# neighbour %s (valirq): %ld raised, %ld handled\n", nb->card->addr, nb->raised, nb->handled);
	return true;
}

/* The neighbour through uio_pci_generic: raise via resource0, read /dev/uioN, ack, clear Interrupt Disable in config. */
struct uio_neighbour {
	const struct card *card;
	volatile uint32_t *bar;
	int fd;
	volatile bool stop;
	long raised, handled, missed, extra;
	uint64_t max_ns;
	int error;
};

static bool uio_unmask(const char *addr)
{
	uint16_t cmd = pci_command(addr) & ~PCI_COMMAND_INTX_DISABLE;

	return config_rw(addr, true, PCI_COMMAND, &cmd, 2);
}

/*
 * Each raise is delivered when uio_pci_generic's handler ran for it: that handler (and nothing else
 * here) sets the card's Interrupt Disable bit, which the driver clears after each interrupt. The
 * uio event count alone cannot tell: uio claims every interrupt of the line while its card is
 * pending (pci_check_and_mask_intx), so the other card's interrupts add counts of their own (extra).
 */
static void *uio_neighbour_run(void *arg)
{
	struct uio_neighbour *nb = arg;
	int64_t first = -1, last = -1;

	while (!nb->stop) {
		struct pollfd pfd = { .fd = nb->fd, .events = POLLIN };
		uint64_t end;
		uint32_t count;
		bool masked;

		uint64_t t0 = now_ns();

		nb->bar[EDU_IRQ_RAISE / 4] = 1;
		nb->raised++;
		end = t0 + EVENT_TIMEOUT_MS * 1000000ull;
		while (!(masked = pci_command(nb->card->addr) & PCI_COMMAND_INTX_DISABLE) && now_ns() < end)
			usleep(50);
		if (now_ns() - t0 > nb->max_ns)
			nb->max_ns = now_ns() - t0;
		if (masked)
			__atomic_add_fetch(&nb->handled, 1, __ATOMIC_RELEASE);
		else
			nb->missed++;
		/* Take the events counted meanwhile. */
		while (poll(&pfd, 1, 0) == 1 && read(nb->fd, &count, 4) == 4) {
			if (first < 0)
				first = count;
			last = count;
		}
		nb->bar[EDU_IRQ_ACK / 4] = nb->bar[EDU_IRQ_STATUS / 4];
		if (!uio_unmask(nb->card->addr)) {
			nb->error = errno;
			break;
		}
		usleep(300);
	}
	/* The first count read includes its own interrupt. */
	if (first >= 0)
		nb->extra = last - first + 1 - nb->handled;
	return NULL;
}

/* Binds c to uio_pci_generic, starts its driver and waits for its first interrupt; false (and restores valirq) when that fails. */
static bool uio_neighbour_stop(struct uio_neighbour *nb, pthread_t th, bool check);

static bool uio_neighbour_start(struct uio_neighbour *nb, const struct card *c, pthread_t *th)
{
	char path[256];
	glob_t g;

	memset(nb, 0, sizeof(*nb));
	nb->card = c;
	nb->fd = -1;
	if (!bind_driver(c, "uio_pci_generic")) {
		fail_msg("binding %s to uio_pci_generic failed: %s", c->addr, strerror(errno));
		bind_driver(c, "valirq");
		return false;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/uio/uio*", c->addr);
	if (!glob(path, 0, NULL, &g)) {
		snprintf(path, sizeof(path), "/dev/%s", strrchr(g.gl_pathv[0], '/') + 1);
		globfree(&g);
		nb->fd = open(path, O_RDWR | O_CLOEXEC);
	}
	nb->bar = resource0(c);
	if (nb->fd < 0 || !nb->bar) {
		fail_msg("uio neighbour %s: /dev/uio %s, resource0 %s", c->addr, nb->fd < 0 ? "missing" : "ok",
			 nb->bar ? "ok" : strerror(errno));
		if (nb->fd >= 0)
			close(nb->fd);
		bind_driver(c, "valirq");
		return false;
	}
	nb->bar[EDU_IRQ_ACK / 4] = 0xffffffff;
	uio_unmask(c->addr);
	pthread_create(th, NULL, uio_neighbour_run, nb);
	/* As neighbour_start(): the test's part runs once the neighbour has had an interrupt handled. */
	if (handled_above(&nb->handled, 0, NULL, EVENT_TIMEOUT_MS))
		return true;
	uio_neighbour_stop(nb, *th, false);
	fail_msg("uio neighbour %s: no interrupt handled within %d ms of its start (raised %ld, missed %ld, error %s)",
		 c->addr, EVENT_TIMEOUT_MS, nb->raised, nb->missed, strerror(nb->error));
	return false;
}

/* Stops the uio neighbour, checks it lost nothing, binds the card back to valirq. */
static bool uio_neighbour_stop(struct uio_neighbour *nb, pthread_t th, bool check)
{
	bool ok = true;

	nb->stop = true;
	pthread_join(th, NULL);
	if (check && (nb->error || nb->missed || nb->handled != nb->raised || !nb->raised)) {
		fail_msg("uio_pci_generic neighbour %s: raised %ld handled %ld missed %ld extra %ld error %s", nb->card->addr,
			 nb->raised, nb->handled, nb->missed, nb->extra, strerror(nb->error));
		ok = false;
	}
	if (check && ok)
		printf("# neighbour %s (uio_pci_generic): %ld raised, %ld handled by its handler (slowest %.1f ms), none lost "
		       "(%ld uio events beyond those: uio claims the line while its card is pending)\n", nb->card->addr,
		       nb->raised, nb->handled, nb->max_ns / 1e6, nb->extra);
	nb->bar[EDU_IRQ_ACK / 4] = 0xffffffff;
	munmap((void *)nb->bar, 4096);
	close(nb->fd);
	if (!bind_driver(nb->card, "valirq")) {
		if (ok)
			fail_msg("could not bind %s back to valirq", nb->card->addr);
		ok = false;
	}
	return ok;
}

/*
 * A driver gets an event and is SIGKILLed before acknowledging it; repeated. Afterwards the
 * quiesce ran, the card is not left masked, the neighbour never missed an interrupt, and a new
 * opener gets the next interrupt.
 */
static bool t_kill_mid_interrupt(const struct card *c, const struct card *nbcard, const struct setup *s,
				 const struct valirq_quiesce *q, int reps, bool expect_clean)
{
	long long q0 = counter(c, "quiesces"), f0 = counter(c, "quiesce_failures");
	struct neighbour nb = { .card = nbcard };
	char outcome[32];
	pthread_t th;
	int i;

	card_silence(c);
	if (nbcard && !neighbour_start(&nb, &th))
		return false;
	for (i = 0; i < reps; i++) {
		int ready[2], status;
		char buf;
		pid_t pid;

		if (pipe(ready)) {
			fail_msg("pipe: %s", strerror(errno));
			goto fail;
		}
		pid = fork();
		if (pid == 0) {
			struct valirq_event ev;
			int fd = open_enabled(c, s, q);

			close(ready[0]);
			if (fd < 0)
				_exit(10);
			if (write(ready[1], "R", 1) != 1)
				_exit(11);
			if (wait_event(fd, &ev, EVENT_TIMEOUT_MS))
				_exit(12);
			if (write(ready[1], "E", 1) != 1)
				_exit(13);
			pause();	/* in the handler: never acks */
			_exit(0);
		}
		close(ready[1]);
		if (read(ready[0], &buf, 1) != 1 || buf != 'R') {
			waitpid(pid, &status, 0);
			close(ready[0]);
			fail_msg("rep %d: driver did not start (exit %d)", i, WEXITSTATUS(status));
			goto fail;
		}
		bar_wr32(c, EDU_IRQ_RAISE, 1);
		if (read(ready[0], &buf, 1) != 1 || buf != 'E') {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(ready[0]);
			fail_msg("rep %d: driver got no event", i);
			goto fail;
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(ready[0]);
	}
	attr(c, "last_release", outcome, sizeof(outcome));
	if (expect_clean) {
		struct valirq_event ev;
		int fd = open_enabled(c, s, NULL), r;

		if (fd < 0) {
			fail_msg("new opener: %s", strerror(-fd));
			goto fail;
		}
		stimulus(c, 1);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		handle(fd, s, c);
		close(fd);
		if (r) {
			fail_msg("a new opener got no interrupt after %d kills: %s", reps, strerror(-r));
			goto fail;
		}
		if (!(ev.flags & VALIRQ_EV_QUIESCED)) {
			fail_msg("the new opener's first record lacks VALIRQ_EV_QUIESCED (flags 0x%x)", ev.flags);
			goto fail;
		}
	}
	if (nbcard && !neighbour_ok(&nb, th, "kills"))
		return false;
	nbcard = NULL;
	if (expect_clean) {
		CHECK(!strcmp(outcome, "quiesced"), "last_release '%s' after a kill with a working quiesce", outcome);
		CHECK(counter(c, "quiesces") - q0 == reps, "quiesces +%lld, want %d", counter(c, "quiesces") - q0, reps);
		CHECK(counter(c, "quiesce_failures") == f0, "quiesce failures +%lld", counter(c, "quiesce_failures") - f0);
		CHECK(!hold_has(c, "loud") && !hold_has(c, "mismatch"), "INTx held disabled at the card for '%s' after "
		      "working quiesces", attr(c, "intx_hold", outcome, sizeof(outcome)));
	} else {
		CHECK(!strcmp(outcome, "neither"), "last_release '%s' after a kill with a broken quiesce, want neither", outcome);
		CHECK(counter(c, "quiesce_failures") - f0 == reps, "quiesce failures +%lld, want %d",
		      counter(c, "quiesce_failures") - f0, reps);
		CHECK(counter(c, "intx_disabled") == 1 && hold_has(c, "loud"), "a card still interrupting should be left masked "
		      "at the card (intx_disabled %lld, intx_hold '%s')", counter(c, "intx_disabled"),
		      attr(c, "intx_hold", outcome, sizeof(outcome)));
		/* Clean up as a lab would: ack at the card; the next enable unmasks. */
		card_silence(c);
	}
	printf("# kill mid-interrupt (%s): %d kills, quiesces +%lld, failures +%lld, last_release %s\n", setup_name(s), reps,
	       counter(c, "quiesces") - q0, counter(c, "quiesce_failures") - f0, outcome);
	return true;
fail:
	if (nbcard) {
		nb.stop = true;
		pthread_join(th, NULL);
	}
	card_silence(c);
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_dist(const char *what, uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("# latency %s (emulated, TCG): n=%d min=%.1fus median=%.1fus p99=%.1fus max=%.1fus\n", what, n,
	       v[0] / 1e3, v[n / 2] / 1e3, v[(int)(n * 0.99)] / 1e3, v[n - 1] / 1e3);
}

/* Events arrive in order, one per raise, with stimulus <= hard IRQ <= thread <= user. */
static bool t_events_in_order(const struct card *c, const struct setup *s, int n)
{
	uint64_t *raise_hard = calloc(n, 8), *hard_thread = calloc(n, 8), *thread_user = calloc(n, 8);
	long long h0 = counter(c, "hardirqs"), e0 = counter(c, "events");
	int fd, i, r;
	bool ok = false;

	card_silence(c);
	fd = open_enabled(c, s, NULL);
	EXPECT(fd >= 0, "open/enable (%s): %s", setup_name(s), strerror(-fd));
	for (i = 0; i < n; i++) {
		struct valirq_event ev;
		uint32_t value = (uint32_t)i << 8 | 1;
		uint64_t before = stimulus(c, value), user;

		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		user = now_ns();
		EXPECT(!r, "raise %d: no event: %s", i, strerror(-r));
		EXPECT(ev.seq == (uint64_t)i + 1 && ev.count == 1 && ev.total == (uint64_t)i + 1,
		       "raise %d: seq %llu count %u total %llu", i, (unsigned long long)ev.seq, ev.count,
		       (unsigned long long)ev.total);
		EXPECT(before && before <= ev.hardirq_ns && ev.hardirq_ns <= ev.thread_ns && ev.thread_ns <= user,
		       "raise %d: timestamps out of order: stimulus %llu hardirq %llu thread %llu user %llu", i,
		       (unsigned long long)before, (unsigned long long)ev.hardirq_ns, (unsigned long long)ev.thread_ns,
		       (unsigned long long)user);
		EXPECT(!s->program || ev.status == value, "raise %d: status 0x%x, raised 0x%x", i, ev.status, value);
		EXPECT(!(ev.flags & (VALIRQ_EV_OVERRUN | VALIRQ_EV_MISMATCH | VALIRQ_EV_REVOKED | VALIRQ_EV_GONE)) &&
		       !ev.vector && !ev.reserved0 && !ev.reserved1, "raise %d: flags 0x%x vector %u reserved %x %llx", i,
		       ev.flags, ev.vector, ev.reserved0, (unsigned long long)ev.reserved1);
		raise_hard[i] = ev.hardirq_ns - before;
		hard_thread[i] = ev.thread_ns - ev.hardirq_ns;
		thread_user[i] = user - ev.thread_ns;
		r = handle(fd, s, c);
		EXPECT(!r, "raise %d: re-arm: %s", i, strerror(-r));
	}
	EXPECT(counter(c, "hardirqs") - h0 == n && counter(c, "events") - e0 == n, "sysfs: hardirqs +%lld events +%lld, want +%d",
	       counter(c, "hardirqs") - h0, counter(c, "events") - e0, n);
	printf("# %s: %d raises, %d events in order\n", setup_name(s), n, n);
	print_dist("raise->hardirq", raise_hard, n);
	print_dist("hardirq->thread", hard_thread, n);
	print_dist("thread->user", thread_user, n);
	for (i = 0; i < n; i++)
		hard_thread[i] += thread_user[i];
	print_dist("hardirq->user", hard_thread, n);
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	free(raise_hard);
	free(hard_thread);
	free(thread_user);
	return ok;
}

/* The IRQ number the card's interrupts arrive on now (MSI vector or INTx line); -1 if unknown. */
static int card_irq(const struct card *c, uint32_t mode)
{
	char path[256], buf[32];
	int irq = -1;

	if (mode == VALIRQ_MODE_MSI) {
		struct dirent *d;
		DIR *dir;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", c->addr);
		dir = opendir(path);
		if (!dir)
			return -1;
		while ((d = readdir(dir)))
			if (d->d_name[0] >= '0' && d->d_name[0] <= '9')
				irq = atoi(d->d_name);
		closedir(dir);
		return irq;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/irq", c->addr);
	return read_text(path, buf, sizeof(buf)) ? atoi(buf) : -1;
}

static bool pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

struct spinner {
	volatile bool started, spinning;
	volatile uint64_t start_ns, end_ns;
	int error;
};

/* SCHED_FIFO 99 on CPU 1, busy for 50 ms: nothing below hard IRQ context runs there meanwhile. */
static void *spinner_run(void *arg)
{
	struct spinner *sp = arg;
	struct sched_param prio = { .sched_priority = 99 };
	uint64_t t;

	if (!pin_self(1) || pthread_setschedparam(pthread_self(), SCHED_FIFO, &prio)) {
		sp->error = errno ? errno : EPERM;
		sp->started = true;
		return NULL;
	}
	sp->start_ns = now_ns();
	sp->spinning = true;
	sp->started = true;
	do
		t = now_ns();
	while (t - sp->start_ns < 50000000ull);
	sp->end_ns = t;
	sp->spinning = false;
	return NULL;
}

/*
 * hardirq_ns is taken in hard IRQ context: with the IRQ affine to CPU 1 and a SCHED_FIFO 99 task
 * spinning there for 50 ms, the interrupts raised meanwhile are counted by the hard IRQ handler
 * while the spin goes on, and their records carry hard IRQ stamps inside the spin, while their IRQ
 * thread (same CPU) runs only after it. A primary handler in a thread would be held off until the end.
 */
static bool t_hardirq_context(const struct card *c, const struct setup *s0)
{
	struct setup s = { .mode = s0->mode, .program = true, .flags = VALIRQ_ENABLE_AUTOREARM };
	struct valirq_event ev[64];
	struct spinner sp = { 0 };
	char path[128], saved[64] = "", eff[64] = "";
	int fd, irq, n, raised = 0, counted_in_spin = 0, in_window = 0, held_off = 0;
	uint64_t total = 0;
	cpu_set_t all;
	pthread_t th;
	bool ok = false, spin_started = false;

	pthread_getaffinity_np(pthread_self(), sizeof(all), &all);
	card_silence(c);
	fd = open_enabled(c, &s, NULL);
	CHECK(fd >= 0, "open/enable (%s): %s", setup_name(&s), strerror(-fd));
	irq = card_irq(c, s.mode);
	EXPECT(irq > 0, "cannot find the card's IRQ");
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	read_text(path, saved, sizeof(saved));
	EXPECT(write_file(path, "1"), "cannot make IRQ %d affine to CPU 1: %s", irq, strerror(errno));
	EXPECT(pin_self(0), "cannot pin the test to CPU 0");
	/* One interrupt moves the line to its new CPU (an IO-APIC line moves on its next interrupt). */
	EXPECT(stimulus(c, 1) && wait_event(fd, ev, EVENT_TIMEOUT_MS) == 0, "no interrupt after the affinity change");
	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", irq);
	EXPECT(!read_text(path, eff, sizeof(eff)) || !strcmp(eff, "1"), "IRQ %d effective affinity '%s', want 1", irq, eff);

	pthread_create(&th, NULL, spinner_run, &sp);
	spin_started = true;
	while (!sp.started)
		usleep(100);
	EXPECT(!sp.error, "SCHED_FIFO 99 spinner on CPU 1: %s", strerror(sp.error));
	/*
	 * On an INTx (level, IO-APIC) line IRQF_ONESHOT keeps the line masked until the IRQ thread
	 * has run, so during the spin only the first raise can reach the hard IRQ: one raise there.
	 */
	while (sp.spinning && now_ns() - sp.start_ns < 35000000ull && (s.mode == VALIRQ_MODE_MSI || !raised)) {
		long long h0 = counter(c, "hardirqs");

		EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
		raised++;
		if (wait_counter(c, "hardirqs", h0 + 1, 8) > h0 && sp.spinning)
			counted_in_spin++;
		usleep(2000);
	}
	pthread_join(th, NULL);
	spin_started = false;
	n = 0;
	while (n < 64 && total < (uint64_t)raised) {
		if (wait_event(fd, &ev[n], EVENT_TIMEOUT_MS))
			break;
		total += ev[n].count;
		if (ev[n].hardirq_ns >= sp.start_ns && ev[n].hardirq_ns <= sp.end_ns) {
			in_window++;
			held_off += ev[n].thread_ns >= sp.end_ns;
		}
		n++;
	}
	EXPECT(counted_in_spin == raised, "of %d interrupts raised while a SCHED_FIFO 99 task spun on the IRQ's CPU, the hard "
	       "IRQ handler counted only %d before the spin ended: it does not run in hard IRQ context", raised, counted_in_spin);
	EXPECT(raised >= (s.mode == VALIRQ_MODE_MSI ? 5 : 1), "only %d raises during the spin", raised);
	EXPECT(total == (uint64_t)raised, "records account for %llu interrupts, %d raised", (unsigned long long)total, raised);
	EXPECT(in_window > 0, "no record has a hard IRQ stamp inside the spin (%d records)", n);
	EXPECT(held_off == in_window, "%d of %d records stamped in the spin had their IRQ thread run during it: the spinner "
	       "did not hold the IRQ's CPU, the experiment proves nothing", in_window - held_off, in_window);
	printf("# hard IRQ context (%s, IRQ %d on CPU 1): %d raises during a 50 ms SCHED_FIFO 99 spin, all counted during it; "
	       "%d records, %d stamped inside the spin with their thread after it\n", mode_name(s.mode), irq, raised, n,
	       in_window);
	ok = true;
out:
	if (spin_started)
		pthread_join(th, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	if (saved[0] && irq > 0) {
		snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
		write_file(path, saved);
	}
	close(fd);
	card_silence(c);
	return ok;
}

static bool t_nonblock_poll_epoll(const struct card *c, const struct setup *s)
{
	struct epoll_event eev = { .events = EPOLLIN }, out;
	struct valirq_event ev;
	struct pollfd pfd;
	int fd = open_enabled(c, s, NULL), ep, n;
	bool ok = false;

	CHECK(fd >= 0, "open: %s", strerror(-fd));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	EXPECT(read(fd, &ev, sizeof(ev)) == -1 && errno == EAGAIN, "non-blocking read with nothing queued: want EAGAIN");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	EXPECT(poll(&pfd, 1, 0) == 0, "poll with nothing queued reported ready");
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &eev);
	stimulus(c, 1);
	n = epoll_wait(ep, &out, 1, EVENT_TIMEOUT_MS);
	close(ep);
	EXPECT(n == 1 && (out.events & EPOLLIN), "epoll_wait after a raise: %d", n);
	EXPECT(read(fd, &ev, 3) == -1 && errno == EINVAL, "read into a buffer smaller than a record: want EINVAL");
	EXPECT(read(fd, &ev, sizeof(ev)) == sizeof(ev), "non-blocking read after epoll: %s", strerror(errno));
	handle(fd, s, c);
	ok = true;
out:
	close(fd);
	return ok;
}

/*
 * A reader that stops reading: the ring keeps RING_SIZE - RING_RESERVED interrupt records intact, and
 * the first record after the drops carries the OVERRUN flag and the exact count of records dropped,
 * which sysfs overruns and the sequence numbers agree with.
 */
static bool t_overrun(const struct card *c, const struct setup *s0)
{
	struct setup s = { .mode = s0->mode, .program = true, .flags = VALIRQ_ENABLE_AUTOREARM };
	const int n = 2 * VALIRQ_RING_SIZE + 100, cap = VALIRQ_RING_SIZE - VALIRQ_RING_RESERVED;
	long long o0 = counter(c, "overruns"), h0 = counter(c, "hardirqs");
	static struct valirq_event ev[VALIRQ_RING_SIZE + 8];
	uint64_t counts = 0, last_seq = 0, last_total = 0;
	int fd, i, got, flagged = 0, with_overruns = 0;
	struct valirq_event next;
	uint32_t dropped;
	bool ok = false;

	card_silence(c);
	fd = open_enabled(c, &s, NULL);
	CHECK(fd >= 0, "open (%s): %s", setup_name(&s), strerror(-fd));
	if (!fill_ring(c, n, h0, 0))
		goto out;
	sleep_ms(200);
	got = nonblock_drain(fd, ev, VALIRQ_RING_SIZE + 8);
	for (i = 0; i < got; i++) {
		flagged += !!(ev[i].flags & VALIRQ_EV_OVERRUN);
		with_overruns += ev[i].overruns != 0;
		counts += ev[i].count;
		EXPECT(ev[i].seq == (uint64_t)i + 1, "record %d has seq %llu", i, (unsigned long long)ev[i].seq);
		last_seq = ev[i].seq;
		last_total = ev[i].total;
	}
	EXPECT(counter(c, "hardirqs") - h0 == n, "hardirqs +%lld, want %d", counter(c, "hardirqs") - h0, n);
	EXPECT(got == cap, "read %d records, want a full ring (%d of %d slots; %d kept for control records)", got, cap,
	       VALIRQ_RING_SIZE, VALIRQ_RING_RESERVED);
	EXPECT(!flagged && !with_overruns, "%d of the first %d records carry OVERRUN, %d an overrun count: nothing was "
	       "dropped before them", flagged, got, with_overruns);
	EXPECT(last_total == counts, "the records count %llu interrupts, the last one's total says %llu",
	       (unsigned long long)counts, (unsigned long long)last_total);
	/* The ring is drained: the next record reports every record dropped meanwhile. */
	stimulus(c, 1);
	i = wait_event(fd, &next, EVENT_TIMEOUT_MS);
	EXPECT(i == 0, "no record after draining: %s", strerror(-i));
	EXPECT(next.flags & VALIRQ_EV_OVERRUN, "the record after the drops lacks VALIRQ_EV_OVERRUN (flags 0x%x)", next.flags);
	EXPECT(next.overruns > 0 && next.seq - 1 == last_seq + next.overruns,
	       "seq %llu: %llu read + %u dropped do not account for every record", (unsigned long long)next.seq,
	       (unsigned long long)last_seq, next.overruns);
	EXPECT(next.total == (uint64_t)n + 1, "total %llu, want %d interrupts", (unsigned long long)next.total, n + 1);
	/* Every dropped record held at least one interrupt: those not in a read record. */
	EXPECT(next.total - next.count - last_total >= next.overruns, "%llu interrupts in %u dropped records",
	       (unsigned long long)(next.total - next.count - last_total), next.overruns);
	EXPECT(counter(c, "overruns") - o0 == next.overruns, "sysfs overruns +%lld, record says %u",
	       counter(c, "overruns") - o0, next.overruns);
	dropped = next.overruns;
	/* And the one after that is clean again. */
	stimulus(c, 1);
	i = wait_event(fd, &next, EVENT_TIMEOUT_MS);
	EXPECT(i == 0 && !(next.flags & VALIRQ_EV_OVERRUN) && !next.overruns, "the record after the overrun report: %s, "
	       "flags 0x%x overruns %u", strerror(-i), next.flags, next.overruns);
	printf("# overrun: %d interrupts: %d records read, %u dropped and reported (flag, count, sysfs, seq)\n",
	       n + 1, got, dropped);
	ok = true;
out:
	close(fd);
	card_silence(c);
	return ok;
}

/* Random programs run through real interrupts --------------------------------------------- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 16);
}

static bool chance(int percent)
{
	return rnd() % 100 < (uint32_t)percent;
}

#define PICK(a) ((a)[rnd() % (sizeof(a) / sizeof((a)[0]))])

static const uint32_t fz_read_regs[] = { EDU_ID, EDU_LIVENESS, EDU_FACT, EDU_STATUS, EDU_IRQ_STATUS, EDU_IRQ_STATUS,
					 EDU_IRQ_STATUS, EDU_DMA_CMD, 0x100, EDU_BAR0_SIZE - 4 };
/* Never the DMA registers (0x80-0x9f: a DMA to a random address) nor the factorial (a long computation). */
static const uint32_t fz_write_regs[] = { EDU_LIVENESS, EDU_STATUS, EDU_IRQ_RAISE, EDU_IRQ_ACK, EDU_IRQ_ACK, EDU_IRQ_ACK,
					  0x100, EDU_BAR0_SIZE - 4 };
/* What an AUTOREARM ack may write: nothing that raises the card again (an endless stream). */
static const uint32_t fz_calm_regs[] = { EDU_LIVENESS, EDU_IRQ_ACK, EDU_IRQ_ACK, 0x100 };
static const uint32_t fz_values[] = { 0, 1, 2, 0x80, 0x100, 0xffffffff, 0x80000000, 0x2a };

static uint32_t fz_value(void)
{
	return chance(75) ? PICK(fz_values) : rnd();
}

static void fz_step(struct valirq_step *st, bool check, bool calm)
{
	memset(st, 0, sizeof(*st));
	st->reg = edu_reg(check ? PICK(fz_read_regs) : calm ? PICK(fz_calm_regs) : PICK(fz_write_regs));
	if (chance(15))
		st->reg.width = chance(50) ? 1 : 2;
	st->op = check ? (chance(50) ? VALIRQ_OP_READ_NE : VALIRQ_OP_READ_EQ) : VALIRQ_OP_WRITE + rnd() % 4;
	st->mask = chance(50) ? 0xffffffff : fz_value();
	st->value = fz_value();
}

static void fz_steps(struct valirq_step *st, uint32_t *n, bool calm)
{
	uint32_t i;

	*n = chance(40) ? 0 : chance(80) ? 1 + rnd() % 3 : rnd() % (VALIRQ_MAX_STEPS + 1);
	for (i = 0; i < *n; i++)
		fz_step(&st[i], false, calm);
}

/* No step, valid or not, may reach the DMA registers (a corrupted program could be accepted). */
static void fz_sanitize(struct valirq_step *st, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		uint64_t off = st[i].reg.offset, end = off + (st[i].reg.width ? st[i].reg.width : 1);

		if (off < 0xa0 && end > EDU_DMA_SRC)
			st[i].reg.offset = 0x100 + (st[i].reg.offset & 3);
		if (off >= EDU_FACT && off < EDU_FACT + 4 && st[i].op != VALIRQ_OP_READ_NE && st[i].op != VALIRQ_OP_READ_EQ)
			st[i].reg.offset = EDU_LIVENESS;
	}
}

struct fz_round {
	struct valirq_program p;
	struct valirq_quiesce q;
	struct valirq_enable en;
	bool has_program, has_quiesce, mutated, bad_policy, bad_flag;
	bool raise_by_stimulus, rearm, second;
	uint32_t raise_value;
	int end;		/* FZ_CLOSE .. FZ_KILL */
};

enum { FZ_CLOSE, FZ_DISABLE, FZ_REVOKE, FZ_REVOKE_DEBUGFS, FZ_KILL };

struct fz_stats {
	long rounds, rejected, accepted, enabled, enable_eio, enable_einval, enable_ebusy, events, timeouts, kills, revokes;
	long unexpected;
	char first_unexpected[256];
};

static void fz_generate(struct fz_round *rd, bool shared_line)
{
	bool normal_check = chance(55), normal_ack = chance(60), autorearm;
	uint32_t r = rnd() % 100;

	memset(rd, 0, sizeof(*rd));
	if (topo_msi())
		rd->en.mode = r < 60 ? VALIRQ_MODE_MSI : r < 85 ? VALIRQ_MODE_INTX_EXCLUSIVE : VALIRQ_MODE_INTX_SHARED;
	else if (shared_line)
		rd->en.mode = r < 95 ? VALIRQ_MODE_INTX_SHARED : VALIRQ_MODE_INTX_EXCLUSIVE;
	else
		rd->en.mode = r < 80 ? VALIRQ_MODE_INTX_EXCLUSIVE : VALIRQ_MODE_INTX_SHARED;
	/* AUTOREARM only where the ack cannot keep the card asserting (INTx) or raise it again (MSI). */
	autorearm = chance(15) && (rd->en.mode == VALIRQ_MODE_MSI || (normal_check && normal_ack));
	rd->has_program = chance(90);
	rd->p = edu_program();
	if (!normal_check)
		fz_step(&rd->p.check, true, false);
	fz_steps(rd->p.ack, &rd->p.n_ack, autorearm);
	if (normal_ack) {
		rd->p.ack[0] = edu_program().ack[0];
		if (!rd->p.n_ack)
			rd->p.n_ack = 1;
	}
	fz_steps(rd->p.mask, &rd->p.n_mask, false);
	fz_steps(rd->p.unmask, &rd->p.n_unmask, false);
	if (chance(12)) {
		uint8_t *raw = (uint8_t *)&rd->p;
		int k;

		rd->mutated = true;
		switch (rnd() % 4) {
		case 0:
			for (k = 1 + rnd() % 3; k > 0; k--)
				raw[rnd() % sizeof(rd->p)] = rnd();
			break;
		case 1:
			rd->p.n_ack = VALIRQ_MAX_STEPS + 1 + rnd() % 4;
			break;
		case 2:
			rd->p.check.reg.offset = rnd();
			break;
		default:
			rd->p.ack[rnd() % VALIRQ_MAX_STEPS].reserved = 1 + rnd() % 255;
			rd->p.n_ack = VALIRQ_MAX_STEPS;
			break;
		}
	}
	/* check, ack[], mask[], unmask[] are one array of steps in the structure. */
	fz_sanitize(&rd->p.check, 1 + 3 * VALIRQ_MAX_STEPS);

	rd->has_quiesce = chance(70);
	fz_steps(rd->q.steps, &rd->q.n_steps, false);
	rd->q.policy = rnd() % 3;
	if (chance(4)) {
		rd->q.policy = 3 + rnd() % 8;
		rd->bad_policy = true;
	}
	fz_sanitize(rd->q.steps, VALIRQ_MAX_STEPS);

	rd->en.flags = (autorearm ? VALIRQ_ENABLE_AUTOREARM : 0) | (chance(10) ? VALIRQ_ENABLE_BUSMASTER : 0);
	if (chance(3)) {
		rd->en.flags |= 1u << (2 + rnd() % 30);
		rd->bad_flag = true;
	}
	rd->raise_by_stimulus = chance(70);
	rd->raise_value = chance(80) ? PICK(fz_values) | 1 : rnd() | 1;
	rd->rearm = chance(50);
	rd->second = chance(30);
	r = rnd() % 100;
	rd->end = r < 50 ? FZ_CLOSE : r < 60 ? FZ_DISABLE : r < 70 ? FZ_REVOKE : r < 75 ? FZ_REVOKE_DEBUGFS : FZ_KILL;
}

/* What happened in one round, reported by the process that ran it. */
struct fz_result {
	int stage;		/* 0 rejected program, 1 enable failed, 2 enabled */
	int enable_err, events, timeouts;
	char unexpected[160];
};

#define FZ_WAIT_MS 15

static void fz_unexpected(struct fz_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->unexpected[0])
		return;
	va_start(ap, fmt);
	vsnprintf(res->unexpected, sizeof(res->unexpected), fmt, ap);
	va_end(ap);
}

/* Open, program, quiesce, enable, raise, read or time out; the open file (or -1). */
static int fz_run(const struct card *c, const struct fz_round *rd, struct fz_result *res)
{
	struct valirq_event ev[4];
	int fd = open(c->dev, O_RDWR | O_CLOEXEC), i, r;

	memset(res, 0, sizeof(*res));
	if (fd < 0) {
		fz_unexpected(res, "open: %s", strerror(errno));
		return -1;
	}
	if (rd->has_program && ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &rd->p)) {
		if (errno != EINVAL || !rd->mutated)
			fz_unexpected(res, "SET_PROGRAM (%s program): %s", rd->mutated ? "corrupted" : "valid", strerror(errno));
		return fd;
	}
	if (rd->has_quiesce && ioctl(fd, VALIRQ_IOC_SET_QUIESCE, &rd->q) != (rd->bad_policy ? -1 : 0))
		fz_unexpected(res, "SET_QUIESCE (policy %u): %s", rd->q.policy, rd->bad_policy ? "accepted" : strerror(errno));
	res->stage = 1;
	if (ioctl(fd, VALIRQ_IOC_ENABLE, &rd->en)) {
		res->enable_err = errno;
		if (rd->bad_flag ? errno != EINVAL :
		    !(errno == EIO || errno == EINVAL || (errno == EBUSY && rd->en.mode == VALIRQ_MODE_INTX_EXCLUSIVE)))
			fz_unexpected(res, "ENABLE %s flags 0x%x: %s", mode_name(rd->en.mode), rd->en.flags, strerror(errno));
		return fd;
	}
	if (rd->bad_flag)
		fz_unexpected(res, "ENABLE accepted unknown flags 0x%x", rd->en.flags);
	res->stage = 2;
	for (i = 0; i < (rd->second ? 2 : 1); i++) {
		if (rd->raise_by_stimulus ? !stimulus(c, rd->raise_value) : !bar_wr32(c, EDU_IRQ_RAISE, rd->raise_value))
			fz_unexpected(res, "raise: %s", strerror(errno));
		r = wait_event(fd, ev, FZ_WAIT_MS);
		if (r == 0) {
			res->events += ev[0].count;
			if (!ev[0].count && !(ev[0].flags & (VALIRQ_EV_REVOKED | VALIRQ_EV_GONE | VALIRQ_EV_MISMATCH)))
				fz_unexpected(res, "a record with count 0 and flags 0x%x", ev[0].flags);
		} else if (r == -ETIMEDOUT) {
			res->timeouts++;
		} else {
			fz_unexpected(res, "read: %s", strerror(-r));
		}
		if (rd->rearm && ioctl(fd, VALIRQ_IOC_ACK) && errno != EAGAIN)
			fz_unexpected(res, "ACK: %s", strerror(errno));
	}
	return fd;
}

static void fz_end(const struct card *c, int fd, int end, struct fz_result *res)
{
	char path[128];

	if (end == FZ_DISABLE && ioctl(fd, VALIRQ_IOC_DISABLE))
		fz_unexpected(res, "DISABLE: %s", strerror(errno));
	if (end == FZ_REVOKE && ioctl(fd, VALIRQ_IOC_REVOKE))
		fz_unexpected(res, "REVOKE: %s", strerror(errno));
	if (end == FZ_REVOKE_DEBUGFS && !write_file(dbg(c, "revoke", path, sizeof(path)), "1"))
		fz_unexpected(res, "debugfs revoke: %s", strerror(errno));
	close(fd);
}

static void fz_account(struct fz_stats *st, const struct fz_result *res, long round)
{
	st->rounds++;
	st->rejected += res->stage == 0;
	st->accepted += res->stage > 0;
	st->enabled += res->stage == 2;
	st->enable_eio += res->enable_err == EIO;
	st->enable_einval += res->enable_err == EINVAL;
	st->enable_ebusy += res->enable_err == EBUSY;
	st->events += res->events;
	st->timeouts += res->timeouts;
	if (res->unexpected[0] && !st->unexpected++)
		snprintf(st->first_unexpected, sizeof(st->first_unexpected), "round %ld: %s", round, res->unexpected);
}

/* One round in a child that is SIGKILLed once it has run (between an event and its ack, or waiting). */
static void fz_killed_round(const struct card *c, const struct fz_round *rd, struct fz_result *res)
{
	int pfd[2], status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe(pfd)) {
		fz_unexpected(res, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct fz_result r;

		close(pfd[0]);
		fz_run(c, rd, &r);
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], res, sizeof(*res)) != sizeof(*res))
		fz_unexpected(res, "the killed round's child did not report");
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(pfd[0]);
}

/*
 * Random IRQ and quiesce programs, mostly valid, each run through a real interrupt in the same open
 * (program, quiesce, enable, raise, read or time out, re-arm, then close, disable, revoke or SIGKILL).
 * The kernel must take every one without losing the line: hardirqs grew, a normal program gets its
 * interrupts afterwards, the neighbour on a shared line (uio_pci_generic) lost nothing, and the
 * harness finds no "nobody cared" in the guest log.
 */
static bool t_fuzz_run(const struct card *c, const struct card *nbcard, int rounds)
{
	struct setup normal = { .mode = topo_mode(), .program = true };
	long long h0 = counter(c, "hardirqs"), n0 = counter(c, "irq_none"), m0 = counter(c, "mismatches");
	struct release_counts r0 = release_counts(c), r1;
	struct uio_neighbour nb;
	struct fz_stats st = { 0 };
	uint64_t t0 = now_ns();
	pthread_t th;
	bool ok = false, nb_running = false;
	int i, fd = -1, r;

	rnd_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)topo_mode() << 32;
	card_silence(c);
	if (nbcard) {
		if (!uio_neighbour_start(&nb, nbcard, &th))
			return false;
		nb_running = true;
	}
	for (i = 0; i < rounds; i++) {
		struct fz_round rd;
		struct fz_result res;

		fz_generate(&rd, nbcard != NULL);
		if (rd.end == FZ_KILL) {
			fz_killed_round(c, &rd, &res);
			st.kills++;
		} else {
			fd = fz_run(c, &rd, &res);
			if (fd >= 0)
				fz_end(c, fd, rd.end, &res);
			fd = -1;
			st.revokes += rd.end == FZ_REVOKE || rd.end == FZ_REVOKE_DEBUGFS;
		}
		fz_account(&st, &res, i);
		if (chance(75))
			card_silence(c);
	}
	card_silence(c);
	r1 = release_counts(c);
	printf("# random programs (%s): %ld rounds in %.1f s: %ld programs rejected, %ld accepted; %ld enabled "
	       "(refused: %ld EIO, %ld EINVAL, %ld EBUSY); %ld interrupts in records, %ld timeouts; %ld kills, %ld revocations\n",
	       topology, st.rounds, (now_ns() - t0) / 1e9, st.rejected, st.accepted, st.enabled, st.enable_eio,
	       st.enable_einval, st.enable_ebusy, st.events, st.timeouts, st.kills, st.revokes);
	printf("# random programs: hardirqs +%lld, irq_none +%lld, mismatches +%lld; quiesces +%lld, quiesce_failures +%lld, "
	       "resets +%lld, reset_failures +%lld\n", counter(c, "hardirqs") - h0, counter(c, "irq_none") - n0,
	       counter(c, "mismatches") - m0, r1.quiesces - r0.quiesces, r1.quiesce_failures - r0.quiesce_failures,
	       r1.resets - r0.resets, r1.reset_failures - r0.reset_failures);
	EXPECT(!st.unexpected, "%ld rounds had an unexpected result; first: %s", st.unexpected, st.first_unexpected);
	EXPECT(st.events > 0 && counter(c, "hardirqs") - h0 >= st.events, "hardirqs +%lld for %ld interrupts in records",
	       counter(c, "hardirqs") - h0, st.events);
	/* The line is alive: a normal program gets every interrupt. */
	fd = open_enabled(c, &normal, NULL);
	EXPECT(fd >= 0, "open after the random programs: %s", strerror(-fd));
	for (i = 0; i < 20; i++) {
		struct valirq_event ev;

		EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		EXPECT(r == 0, "after the random programs, interrupt %d of 20 did not arrive: %s", i, strerror(-r));
		handle(fd, &normal, c);
	}
	close(fd);
	fd = -1;
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (nb_running && !uio_neighbour_stop(&nb, th, true))
		ok = false;
	card_silence(c);
	return ok;
}

/* INTx guard -------------------------------------------------------------------------------- */

static bool intx_hold_empty(const struct card *c, char *buf, size_t len)
{
	attr(c, "intx_hold", buf, len);
	return !buf[0] || !strcmp(buf, "none");
}

/*
 * Reads records until one that counts an interrupt; or-s the flags of all of them and counts those
 * flagged MISMATCH (a mismatch may have a count-0 record of its own, or ride on the next one).
 */
static int read_interrupt(int fd, struct valirq_event *ev, uint32_t *flags, int *mismatch_records)
{
	int r, i;

	for (i = 0; i < 8; i++) {
		r = wait_event(fd, ev, EVENT_TIMEOUT_MS);
		if (r)
			return r;
		*flags |= ev->flags;
		*mismatch_records += !!(ev->flags & VALIRQ_EV_MISMATCH);
		if (ev->count)
			return 0;
		if (!(ev->flags & VALIRQ_EV_MISMATCH))
			return -EPROTO;	/* a count-0 record that is no mismatch report */
	}
	return -E2BIG;
}

/* A check that says "interrupting" only for status 1. */
static struct valirq_program picky_program(void)
{
	struct valirq_program p = edu_program();

	p.check.op = VALIRQ_OP_READ_EQ;
	p.check.value = 1;
	return p;
}

/* ENABLE fails with EIO while the card asserts INTx against the program's own check; then enables once it agrees. */
static bool t_intx_enable_eio(const struct card *c)
{
	struct setup s = { .mode = topo_intx_mode(), .program = true };
	struct valirq_program picky = picky_program(), good = edu_program();
	struct valirq_enable en = { .mode = s.mode };
	struct valirq_event ev;
	char mode[32];
	bool ok = false;
	int fd = -1, r;

	card_silence(c);
	EXPECT(bar_wr32(c, EDU_IRQ_RAISE, 2), "raise: %s", strerror(errno));
	usleep(1000);
	EXPECT(intx_asserted(c->addr), "PCI status: the raised card does not assert INTx (config 0x%04x)", pci_command(c->addr));
	fd = open(c->dev, O_RDWR);
	EXPECT(fd >= 0 && !ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &picky), "open/program: %s", strerror(errno));
	r = ioctl(fd, VALIRQ_IOC_ENABLE, &en);
	EXPECT(r == -1 && errno == EIO, "ENABLE while the card asserts against its check (status 2, check == 1): %s, want EIO",
	       r ? strerror(errno) : "accepted");
	EXPECT(!strcmp(attr(c, "mode", mode, sizeof(mode)), "off") && counter(c, "busmaster") == 0,
	       "after the refused enable: mode '%s', busmaster %lld", mode, counter(c, "busmaster"));
	/* The same file, a program that agrees with the card: enabled, and the pending interrupt delivered. */
	EXPECT(!ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &good), "program: %s", strerror(errno));
	EXPECT(!ioctl(fd, VALIRQ_IOC_ENABLE, &en), "ENABLE with a check that agrees: %s", strerror(errno));
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	EXPECT(r == 0 && ev.status == 2, "the pending interrupt after the refused enable: %s, status 0x%x", strerror(-r),
	       ev.status);
	EXPECT(!handle(fd, &s, c), "re-arm: %s", strerror(errno));
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	card_silence(c);
	return ok;
}

/*
 * A check that says "not interrupting" while the card asserts INTx. On a shared line valirq masks
 * the card (PCI 2.3), counts a mismatch, holds Interrupt Disable (intx_hold says why), refuses the
 * re-arm while the card asserts, lifts the mask once it is silent and flags the next record
 * MISMATCH. An exclusive line is only ever the card's: the interrupt is counted, flagged and
 * served (masked at the line until the re-arm). Either way the line lives.
 */
static bool t_intx_guard_check(const struct card *c, const struct card *nbcard)
{
	struct setup s = { .mode = topo_intx_mode(), .program = true };
	struct valirq_program picky = picky_program();
	struct neighbour nb = { .card = nbcard };
	bool shared = s.mode == VALIRQ_MODE_INTX_SHARED;
	long long m0 = counter(c, "mismatches");
	struct valirq_event ev;
	char hold[128] = "";
	bool ok = false, nb_running = false;
	uint32_t flags = 0;
	pthread_t th;
	int fd, r, mm = 0;

	card_silence(c);
	fd = open_enabled_prog(c, &s, &picky, NULL);
	CHECK(fd >= 0, "open/enable (%s): %s", setup_name(&s), strerror(-fd));
	if (nbcard) {
		if (!neighbour_start(&nb, &th))
			goto out;
		nb_running = true;
	}
	EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	EXPECT(r == 0 && !(ev.flags & VALIRQ_EV_MISMATCH), "a status the check accepts: %s, flags 0x%x", strerror(-r), ev.flags);
	EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	EXPECT(intx_hold_empty(c, hold, sizeof(hold)), "intx_hold '%s' with nothing held", hold);

	/* Status 2: the card asserts, the check says "not mine". */
	EXPECT(bar_wr32(c, EDU_IRQ_RAISE, 2), "raise: %s", strerror(errno));
	EXPECT(wait_counter(c, "mismatches", m0 + 1, 2000) == m0 + 1, "mismatches +%lld after the card asserted against "
	       "the check", counter(c, "mismatches") - m0);
	if (shared) {
		EXPECT(counter(c, "intx_disabled") == 1 && (pci_command(c->addr) & PCI_COMMAND_INTX_DISABLE),
		       "the card is not masked at the card (intx_disabled %lld, command 0x%04x)", counter(c, "intx_disabled"),
		       pci_command(c->addr));
		EXPECT(hold_has(c, "mismatch"), "intx_hold '%s' while the kernel holds Interrupt Disable for a mismatch",
		       attr(c, "intx_hold", hold, sizeof(hold)));
		EXPECT(ioctl(fd, VALIRQ_IOC_ACK) == -1 && errno == EAGAIN, "re-arm while the card asserts: %s, want EAGAIN",
		       strerror(errno));
		EXPECT(bar_wr32(c, EDU_IRQ_ACK, 2), "ack at the card: %s", strerror(errno));
		EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "re-arm once the card is silent: %s", strerror(errno));
	} else {
		/* Served: an interrupt record for it, flagged. */
		r = read_interrupt(fd, &ev, &flags, &mm);
		EXPECT(r == 0 && (flags & VALIRQ_EV_MISMATCH) && mm == 1 && ev.count == 1 && ev.status == 2,
		       "the unrecognised interrupt on the exclusive line: %s, flags 0x%x (%d flagged), count %u status 0x%x "
		       "(want served once, flagged MISMATCH, status 2)", strerror(-r), flags, mm, ev.count, ev.status);
		EXPECT(bar_wr32(c, EDU_IRQ_ACK, 2), "ack at the card: %s", strerror(errno));
		EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "re-arm: %s", strerror(errno));
		flags = 0;
		mm = 0;
	}
	EXPECT(intx_hold_empty(c, hold, sizeof(hold)), "after the re-arm: intx_hold '%s'", hold);
	EXPECT(counter(c, "intx_disabled") == 0, "after the re-arm: intx_disabled %lld", counter(c, "intx_disabled"));
	EXPECT(counter(c, "mismatches") == m0 + 1, "mismatches +%lld, want 1", counter(c, "mismatches") - m0);
	/* The line is alive. On the shared line the mismatch is reported on the next record (or one of its own). */
	EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
	r = read_interrupt(fd, &ev, &flags, &mm);
	EXPECT(r == 0 && !!(flags & VALIRQ_EV_MISMATCH) == shared && mm == shared && ev.count == 1 && ev.status == 1,
	       "after the mismatch: %s, flags 0x%x (%d records flagged), last record count %u status 0x%x (want MISMATCH %s, "
	       "then the interrupt, status 1)", strerror(-r), flags, mm, ev.count, ev.status, shared ? "once" : "no more");
	EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	EXPECT(r == 0 && !(ev.flags & VALIRQ_EV_MISMATCH), "the record after: %s, flags 0x%x", strerror(-r), ev.flags);
	EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	if (nb_running) {
		nb_running = false;
		if (!neighbour_ok(&nb, th, "guard"))
			goto out;
	}
	ok = true;
out:
	if (nb_running) {
		nb.stop = true;
		pthread_join(th, NULL);
	}
	close(fd);
	card_silence(c);
	return ok;
}

/*
 * Shared mode, mask steps that do not silence the card (they write liveness): after the first event
 * the card still asserts, valirq masks it with PCI 2.3 and counts a mismatch; once acknowledged at
 * the card it re-arms and the next record is flagged.
 */
static bool t_intx_guard_mask_steps(const struct card *c, const struct card *nbcard)
{
	struct setup s = { .mode = VALIRQ_MODE_INTX_SHARED, .program = true };
	struct valirq_program p = edu_program();
	struct neighbour nb = { .card = nbcard };
	long long m0 = counter(c, "mismatches");
	struct valirq_event ev;
	uint32_t flags = 0;
	bool ok = false, nb_running = false;
	pthread_t th;
	int fd, r, mm = 0;

	p.n_ack = 0;
	p.n_mask = 1;
	p.mask[0].reg = edu_reg(EDU_LIVENESS);
	p.mask[0].op = VALIRQ_OP_WRITE;
	p.mask[0].value = 1;
	p.n_unmask = 1;
	p.unmask[0] = p.mask[0];
	card_silence(c);
	fd = open_enabled_prog(c, &s, &p, NULL);
	CHECK(fd >= 0, "open/enable (shared, mask steps that do not mask): %s", strerror(-fd));
	if (nbcard) {
		if (!neighbour_start(&nb, &th))
			goto out;
		nb_running = true;
	}
	EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
	r = read_interrupt(fd, &ev, &flags, &mm);
	EXPECT(r == 0, "first event: %s", strerror(-r));
	EXPECT(wait_counter(c, "mismatches", m0 + 1, 2000) == m0 + 1, "mismatches +%lld: the card kept asserting after its "
	       "mask steps", counter(c, "mismatches") - m0);
	EXPECT(counter(c, "intx_disabled") == 1, "not masked at the card after the mask steps failed");
	EXPECT(ioctl(fd, VALIRQ_IOC_ACK) == -1 && errno == EAGAIN, "re-arm while the card asserts: %s, want EAGAIN",
	       strerror(errno));
	EXPECT(bar_wr32(c, EDU_IRQ_ACK, 0xffffffff), "ack at the card: %s", strerror(errno));
	EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "re-arm after the ack: %s", strerror(errno));
	EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
	/*
	 * The first mismatch is reported once before the second event: on the first record (the guard
	 * struck before the IRQ thread queued it: no IRQF_ONESHOT, a standard kernel) or on a record
	 * of its own. The second event's mask steps fail too: a second mismatch, which may ride on the
	 * second event's record.
	 */
	mm = !!(flags & VALIRQ_EV_MISMATCH);
	for (;;) {
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		if (r || ev.count)
			break;
		mm += !!(ev.flags & VALIRQ_EV_MISMATCH);
	}
	EXPECT(r == 0 && mm == 1, "the first mismatch was reported %d times before the next interrupt (%s), want once", mm,
	       strerror(-r));
	EXPECT(wait_counter(c, "mismatches", m0 + 2, 2000) == m0 + 2, "mismatches +%lld after two events whose mask steps "
	       "failed, want 2", counter(c, "mismatches") - m0);
	bar_wr32(c, EDU_IRQ_ACK, 0xffffffff);
	if (nb_running) {
		nb_running = false;
		if (!neighbour_ok(&nb, th, "guard"))
			goto out;
	}
	ok = true;
out:
	if (nb_running) {
		nb.stop = true;
		pthread_join(th, NULL);
	}
	close(fd);
	card_silence(c);
	return ok;
}

/* Shared mode on edu (PCI 2.3): accepted with PCI 2.3 masking, a program without mask steps, and with them. */
static bool t_shared_mode_accepted(const struct card *c)
{
	struct setup pci23 = { .mode = VALIRQ_MODE_INTX_SHARED, .program = false },
		     prog = { .mode = VALIRQ_MODE_INTX_SHARED, .program = true };
	struct valirq_program nomask = edu_program(), withmask = edu_program();
	struct valirq_info info;
	int fd;

	fd = open(c->dev, O_RDWR);
	CHECK(fd >= 0 && !ioctl(fd, VALIRQ_IOC_INFO, &info), "INFO: %s", strerror(errno));
	close(fd);
	CHECK(info.intx_mask_capable, "edu reports no PCI 2.3 masking: the refusal side is what applies, not tested here");
	nomask.n_ack = 1;
	withmask.n_mask = 1;
	withmask.mask[0].reg = edu_reg(EDU_STATUS);
	withmask.mask[0].op = VALIRQ_OP_CLEAR_BITS;
	withmask.mask[0].mask = 0x80;
	fd = open_enabled(c, &pci23, NULL);
	CHECK(fd >= 0, "shared with PCI 2.3 masking: %s", strerror(-fd));
	close(fd);
	fd = open_enabled_prog(c, &prog, &nomask, NULL);
	CHECK(fd >= 0, "shared with a program without mask steps: %s", strerror(-fd));
	close(fd);
	fd = open_enabled_prog(c, &prog, &withmask, NULL);
	CHECK(fd >= 0, "shared with a program with mask steps: %s", strerror(-fd));
	close(fd);
	return true;
}

/* AUTOREARM on INTx needs ack steps (nothing would silence the card). */
static bool t_intx_autorearm_needs_ack(const struct card *c)
{
	struct setup s = { .mode = topo_intx_mode(), .program = true, .flags = VALIRQ_ENABLE_AUTOREARM },
		     none = { .mode = topo_intx_mode(), .program = false, .flags = VALIRQ_ENABLE_AUTOREARM };
	struct valirq_program p = edu_program();
	int fd;

	p.n_ack = 0;
	fd = open_enabled_prog(c, &s, &p, NULL);
	if (fd >= 0)
		close(fd);
	CHECK(fd == -EINVAL, "AUTOREARM on INTx with a program without ack steps: %s, want EINVAL",
	      fd >= 0 ? "accepted" : strerror(-fd));
	fd = open_enabled(c, &none, NULL);
	if (fd >= 0)
		close(fd);
	CHECK(fd == -EINVAL, "AUTOREARM on INTx with no program: %s, want EINVAL", fd >= 0 ? "accepted" : strerror(-fd));
	return true;
}

/* Both cards on the shared line interrupting at once, each through its own reader. */
struct hammer {
	const struct card *card;
	struct setup s;
	int n, error, bad;
	long long h0, h1;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	int fd = open_enabled(h->card, &h->s, NULL), i;

	h->h0 = counter(h->card, "hardirqs");
	if (fd < 0) {
		h->error = -fd;
		return NULL;
	}
	for (i = 0; i < h->n; i++) {
		struct valirq_event ev;
		int r;

		stimulus(h->card, 1);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		if (r) {
			h->error = -r;
			break;
		}
		if (ev.count != 1 || ev.seq != (uint64_t)i + 1)
			h->bad++;
		handle(fd, &h->s, h->card);
	}
	close(fd);
	h->h1 = counter(h->card, "hardirqs");
	return NULL;
}

static bool t_shared_concurrent(int n)
{
	struct hammer h[2] = { { .card = &cards[0], .s = { VALIRQ_MODE_INTX_SHARED, true, 0 }, .n = n },
			       { .card = &cards[1], .s = { VALIRQ_MODE_INTX_SHARED, true, 0 }, .n = n } };
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer_run, &h[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		CHECK(!h[i].error, "card %s: %s", h[i].card->addr, strerror(h[i].error));
		CHECK(!h[i].bad, "card %s: %d records out of order or coalesced", h[i].card->addr, h[i].bad);
		CHECK(h[i].h1 - h[i].h0 == n, "card %s: hardirqs +%lld, want %d", h[i].card->addr, h[i].h1 - h[i].h0, n);
	}
	printf("# shared line: %d raises per card, %d events each, hardirqs +%lld/+%lld, IRQ_NONE %lld/%lld\n", n, n,
	       h[0].h1 - h[0].h0, h[1].h1 - h[1].h0, counter(&cards[0], "irq_none"), counter(&cards[1], "irq_none"));
	return true;
}

/*
 * A uio_pci_generic neighbour on the shared line (card 2 rebound to it, re-armed by clearing
 * Interrupt Disable through sysfs config) while card 1 is served by valirq, with an IRQ program and
 * with PCI 2.3 masking: every raise of both seen exactly once. Card 2 goes back to valirq after.
 */
static bool t_uio_neighbour(const struct card *c, const struct card *nbcard, int n)
{
	struct setup setups[2] = { { VALIRQ_MODE_INTX_SHARED, true, 0 }, { VALIRQ_MODE_INTX_SHARED, false, 0 } };
	struct uio_neighbour nb;
	pthread_t th;
	bool ok = false;
	int k, i, r, fd = -1;

	card_silence(c);
	if (!uio_neighbour_start(&nb, nbcard, &th))
		return false;
	for (k = 0; k < 2; k++) {
		long long h0 = counter(c, "hardirqs");

		fd = open_enabled(c, &setups[k], NULL);
		EXPECT(fd >= 0, "valirq (%s) next to uio_pci_generic: %s", setup_name(&setups[k]), strerror(-fd));
		for (i = 0; i < n; i++) {
			struct valirq_event ev;

			EXPECT(stimulus(c, 1), "stimulus: %s", strerror(errno));
			r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
			EXPECT(r == 0, "%s: raise %d: no event: %s", setup_name(&setups[k]), i, strerror(-r));
			EXPECT(ev.count == 1 && ev.seq == (uint64_t)i + 1, "%s: raise %d: seq %llu count %u",
			       setup_name(&setups[k]), i, (unsigned long long)ev.seq, ev.count);
			r = handle(fd, &setups[k], c);
			EXPECT(r == 0, "re-arm: %s", strerror(-r));
		}
		close(fd);
		fd = -1;
		EXPECT(counter(c, "hardirqs") - h0 == n, "%s: hardirqs +%lld, want %d", setup_name(&setups[k]),
		       counter(c, "hardirqs") - h0, n);
		printf("# next to uio_pci_generic (%s): %d raises, %d events, IRQ_NONE %lld\n", setup_name(&setups[k]), n, n,
		       counter(c, "irq_none"));
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (!uio_neighbour_stop(&nb, th, true))
		ok = false;
	card_silence(c);
	return ok;
}

/* Unbind with readers and mappings --------------------------------------------------------- */

struct blocked {
	int fd;
	volatile bool done;
	uint64_t done_ns;
	int err, records, gone, gone_flags;
};

static void *blocked_reader(void *arg)
{
	struct blocked *b = arg;

	for (;;) {
		struct valirq_event ev[4];
		ssize_t n = read(b->fd, ev, sizeof(ev));
		int i;

		if (n < 0) {
			b->err = errno;
			break;
		}
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			b->records++;
			if (ev[i].flags & VALIRQ_EV_GONE) {
				b->gone++;
				b->gone_flags = ev[i].flags;
			}
		}
	}
	b->done_ns = now_ns();
	b->done = true;
	return NULL;
}

static void *blocked_poller(void *arg)
{
	struct blocked *b = arg;
	uint64_t end = now_ns() + 10000000000ull;

	while (now_ns() < end) {
		struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
		int r = poll(&pfd, 1, 10000);

		if (r < 0) {
			b->err = errno;
			break;
		}
		if (r == 1 && (pfd.revents & (POLLHUP | POLLERR))) {
			b->gone_flags = pfd.revents;
			break;
		}
		if (r == 1)
			usleep(1000);	/* POLLIN: the reader takes the records */
	}
	b->done_ns = now_ns();
	b->done = true;
	return NULL;
}

static bool join_by(pthread_t th, uint64_t deadline)
{
	struct timespec ts = { .tv_sec = deadline / 1000000000ull, .tv_nsec = deadline % 1000000000ull };
	struct timespec now;

	/* pthread_timedjoin_np takes CLOCK_REALTIME. */
	clock_gettime(CLOCK_REALTIME, &now);
	ts.tv_sec = now.tv_sec + (deadline - now_ns()) / 1000000000ull;
	ts.tv_nsec = now.tv_nsec + (deadline - now_ns()) % 1000000000ull;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return !pthread_timedjoin_np(th, NULL, &ts);
}

/*
 * A reader blocked in read() and another in poll() while the card is unbound: read returns the
 * queued records (a GONE record, flagged with the release outcome), then ENODEV; poll reports
 * POLLHUP; both within 2 s.
 */
static bool t_unbind_blocked_readers(const struct card *c, const struct setup *s)
{
	struct valirq_quiesce q = edu_quiesce();
	struct blocked rd = { 0 }, pl = { 0 };
	pthread_t trd, tpl;
	bool ok = false, rd_joined = false, pl_joined = false;
	uint64_t t0;
	int fd;

	card_silence(c);
	fd = open_enabled(c, s, &q);
	CHECK(fd >= 0, "open/enable (%s): %s", setup_name(s), strerror(-fd));
	rd.fd = pl.fd = fd;
	pthread_create(&trd, NULL, blocked_reader, &rd);
	pthread_create(&tpl, NULL, blocked_poller, &pl);
	sleep_ms(200);
	EXPECT(!rd.done && !pl.done, "the readers did not block (read: %s)", strerror(rd.err));
	t0 = now_ns();
	EXPECT(unbind_valirq(c), "unbind: %s", strerror(errno));
	rd_joined = join_by(trd, t0 + 2000000000ull);
	pl_joined = join_by(tpl, t0 + 2000000000ull);
	EXPECT(rd_joined, "the reader blocked in read() did not return within 2 s of the unbind");
	EXPECT(pl_joined, "the reader blocked in poll() did not return within 2 s of the unbind");
	EXPECT(rd.err == ENODEV, "read after unbind: %s, want ENODEV", strerror(rd.err));
	EXPECT(pl.gone_flags & POLLHUP, "poll after unbind: revents 0x%x, want POLLHUP (%s)", pl.gone_flags, strerror(pl.err));
	EXPECT(rd.gone == 1, "%d GONE records among the %d read before ENODEV", rd.gone, rd.records);
	EXPECT(rd.gone_flags & VALIRQ_EV_QUIESCED, "the GONE record has flags 0x%x: a silent card with a quiesce program "
	       "should say QUIESCED", rd.gone_flags);
	printf("# unbind: read() returned after %.1f ms (%d records, GONE flags 0x%x, then ENODEV), poll() after %.1f ms\n",
	       (rd.done_ns - t0) / 1e6, rd.records, rd.gone_flags, (pl.done_ns - t0) / 1e6);
	ok = true;
out:
	if (!rebind_valirq(c) && ok) {
		fail_msg("rebind failed");
		ok = false;
	}
	if (ok) {
		close(fd);
	} else {
		/* A reader still blocked keeps the file; leave both threads be (detached). */
		if (!rd_joined)
			pthread_detach(trd);
		if (!pl_joined)
			pthread_detach(tpl);
	}
	return ok;
}

/*
 * A mapping made before the unbind and touched after it: the scratch flavour reads and writes a
 * scratch page (no crash, nothing reaches the card), the SIGBUS flavour gets SIGBUS.
 */
static bool t_unbind_mapping(const struct card *c)
{
	volatile uint32_t *map = MAP_FAILED, *sig = MAP_FAILED;
	struct valirq_event ev;
	bool ok = false, unbound = false;
	uint32_t v;
	int fd = open(c->dev, O_RDWR);

	CHECK(fd >= 0, "open: %s", strerror(errno));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0));
	sig = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0) | VALIRQ_MMAP_SIGBUS);
	EXPECT(map != MAP_FAILED && sig != MAP_FAILED, "mmap: %s", strerror(errno));
	map[EDU_LIVENESS / 4] = 0x13579bdf;
	EXPECT(sig[EDU_LIVENESS / 4] == ~0x13579bdfu, "liveness through the mapping: 0x%x", sig[EDU_LIVENESS / 4]);
	EXPECT(unbind_valirq(c), "unbind: %s", strerror(errno));
	unbound = true;
	map[EDU_LIVENESS / 4] = 0xdeadbeef;
	v = map[EDU_LIVENESS / 4];
	EXPECT(v == 0xdeadbeef, "the mapping after unbind should be a scratch page, reads 0x%x", v);
	EXPECT(touch_gets_sigbus(sig, 0x2468ace0), "no SIGBUS touching the SIGBUS-flavoured mapping after unbind");
	while (read(fd, &ev, sizeof(ev)) > 0)
		;
	EXPECT(errno == ENODEV, "read after unbind: %s", strerror(errno));
	EXPECT(rebind_valirq(c), "rebind failed");
	unbound = false;
	EXPECT(bar_rd32(c, EDU_LIVENESS) == ~0x13579bdfu, "a write to the mapping after unbind reached the card: liveness 0x%x",
	       bar_rd32(c, EDU_LIVENESS));
	ok = true;
out:
	if (map != MAP_FAILED)
		munmap((void *)map, 4096);
	if (sig != MAP_FAILED)
		munmap((void *)sig, 4096);
	close(fd);
	if (unbound)
		rebind_valirq(c);
	return ok;
}

/*
 * A thread raising the card through debugfs bar0 as fast as it can, with no regard for drivers
 * (raises fail while the card has no valirq: its debugfs files are gone).
 *
 * On INTx the flood pauses just before the handler goes away (unhandled_pause): QEMU's IO-APIC
 * latches a masked, deactivated (edge-mode) pin's assertion as a stale IRR and, once the pin is
 * level again, re-delivers it forever while the card's status reads 0, so the kernel disables the
 * line ("nobody cared"). A real IO-APIC samples the pin. On MSI the flood never pauses.
 */
struct flood {
	const struct card *card;
	volatile bool stop, paused, in_write, hold;
	long raised;
};

static void *flood_run(void *arg)
{
	struct flood *f = arg;

	while (!f->stop) {
		if (!f->paused) {
			__atomic_store_n(&f->in_write, true, __ATOMIC_SEQ_CST);
			if (!f->paused && !__atomic_load_n(&f->hold, __ATOMIC_SEQ_CST) &&
			    bar_wr32(f->card, EDU_IRQ_RAISE, 1))
				f->raised++;
			__atomic_store_n(&f->in_write, false, __ATOMIC_SEQ_CST);
		}
		usleep(50);
	}
	return NULL;
}

/*
 * Keep the flood from opening debugfs for the length of delete_module(2). In 6.1,
 * delete_module drops the module's reference count to zero before it marks the module
 * GOING, so an open of one of its debugfs files in between fails try_module_get() on a
 * module still LIVE, and debugfs WARNs "debugfs file owner did not clean up at exit"
 * (fs/debugfs/file.c, open_proxy_open). The raises already made stay in flight.
 */
static void flood_hold(struct flood *f, bool hold)
{
	__atomic_store_n(&f->hold, hold, __ATOMIC_SEQ_CST);
	while (hold && __atomic_load_n(&f->in_write, __ATOMIC_SEQ_CST))
		usleep(20);
}

static void flood_pause(struct flood *f, bool pause)
{
	if (pause) {
		f->paused = true;
		while (f->in_write)
			usleep(100);
		usleep(1000);
		card_silence(f->card);
	} else {
		f->paused = false;
	}
}

static bool t_unbind_rebind(const struct card *c, const struct setup *s, int cycles, bool unhandled_pause)
{
	struct flood f = { .card = c };
	pthread_t th;
	int i, enodev = 0;
	bool ok = false;

	pthread_create(&th, NULL, flood_run, &f);
	for (i = 0; i < cycles; i++) {
		struct valirq_event ev;
		int fd = open_enabled(c, s, NULL), r;

		EXPECT(fd >= 0, "cycle %d: open: %s", i, strerror(-fd));
		flood_pause(&f, false);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		if (r) {
			close(fd);
			EXPECT(false, "cycle %d: no interrupt before unbind: %s", i, strerror(-r));
		}
		/* Unbind with the file open, the IRQ live and an event delivered but not acknowledged. */
		if (unhandled_pause)
			flood_pause(&f, true);
		if (!unbind_valirq(c)) {
			close(fd);
			EXPECT(false, "cycle %d: unbind: %s", i, strerror(errno));
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		while ((r = read(fd, &ev, sizeof(ev))) > 0)
			;
		enodev += r < 0 && errno == ENODEV;
		close(fd);
		EXPECT(rebind_valirq(c), "cycle %d: rebind failed", i);
	}
	EXPECT(enodev == cycles, "reads after unbind: %d of %d returned ENODEV", enodev, cycles);
	ok = true;
out:
	f.stop = true;
	pthread_join(th, NULL);
	card_silence(c);
	if (ok)
		printf("# unbind/rebind: %d cycles under a flood of %ld raises%s\n", cycles, f.raised,
		       unhandled_pause ? " (paused while no handler is installed)" : "");
	return ok;
}

static const char *valirq_ko(void)
{
	const char *ko = getenv("VALIRQ_KO");

	return ko && *ko ? ko : getenv("VALIDATE_VALIRQ_KO");
}

/* rmmod; an open debugfs file (the flood's, for a moment) holds the module, so retry for up to 2 s. */
static int remove_module(int *retries)
{
	uint64_t end = now_ns() + 2000000000ull;
	int r;

	while ((r = syscall(SYS_delete_module, "valirq", O_NONBLOCK)) && (errno == EWOULDBLOCK || errno == EBUSY) &&
	       now_ns() < end) {
		(*retries)++;
		usleep(200);
	}
	return r ? -errno : 0;
}

static int load_module(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params, 0);
	r = r ? -errno : 0;
	close(fd);
	return r;
}

static bool t_rmmod_insmod(const struct card *c, const struct setup *s, int cycles, bool unhandled_pause)
{
	const char *ko = valirq_ko();
	struct flood f = { .card = c };
	pthread_t th;
	int i, fd, r, retries = 0;
	bool ok = false;

	CHECK(ko && *ko, "VALIRQ_KO is not set");
	fd = open_enabled(c, s, NULL);
	CHECK(fd >= 0, "open: %s", strerror(-fd));
	i = syscall(SYS_delete_module, "valirq", O_NONBLOCK);
	close(fd);
	CHECK(i == -1 && (errno == EWOULDBLOCK || errno == EBUSY), "rmmod with a file open: %s, want EBUSY/EWOULDBLOCK",
	      i == 0 ? "succeeded" : strerror(errno));

	f.paused = unhandled_pause;
	pthread_create(&th, NULL, flood_run, &f);
	for (i = 0; i < cycles; i++) {
		struct valirq_event ev;

		flood_hold(&f, true);
		r = remove_module(&retries);
		flood_hold(&f, false);
		EXPECT(!r, "cycle %d: rmmod: %s", i, strerror(-r));
		r = load_module(ko, "");
		EXPECT(!r, "cycle %d: insmod %s: %s", i, ko, strerror(-r));
		EXPECT(wait_for_node(c->dev, true), "cycle %d: %s did not come back", i, c->dev);
		fd = open_enabled(c, s, NULL);
		EXPECT(fd >= 0, "cycle %d: open: %s", i, strerror(-fd));
		flood_pause(&f, false);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		if (unhandled_pause)
			flood_pause(&f, true);
		close(fd);
		EXPECT(!r, "cycle %d: no interrupt after reload: %s", i, strerror(-r));
	}
	ok = true;
out:
	f.stop = true;
	pthread_join(th, NULL);
	card_silence(c);
	if (ok)
		printf("# rmmod/insmod: %d cycles under a flood of %ld raises%s (%d rmmod retries while the flood held a "
		       "debugfs file)\n", cycles, f.raised, unhandled_pause ? " (paused while no handler is installed)" : "",
		       retries);
	return ok;
}

/* ids=vendor:device binds without driver_override; a malformed list is refused. */
static bool t_ids_param(const struct card *c)
{
	const char *ko = valirq_ko();
	char override[256];
	int r, retries = 0;

	CHECK(ko && *ko, "VALIRQ_KO is not set");
	snprintf(override, sizeof(override), "/sys/bus/pci/devices/%s/driver_override", c->addr);
	r = remove_module(&retries);
	CHECK(!r, "rmmod: %s", strerror(-r));
	r = load_module(ko, "ids=12z4");
	CHECK(r == -EINVAL, "insmod ids=12z4: %s, want EINVAL", r ? strerror(-r) : "accepted");
	CHECK(write_file(override, "\n"), "clearing driver_override: %s", strerror(errno));
	r = load_module(ko, "ids=1234:11e8");
	CHECK(r == 0, "insmod ids=1234:11e8: %s", strerror(-r));
	CHECK(wait_for_node(c->dev, true), "%s did not appear with ids=", c->dev);
	CHECK(driver_is(c->addr, "valirq"), "not bound to valirq with ids=");
	/* Back to the lab's way of binding. */
	write_file(override, "valirq");
	r = remove_module(&retries);
	CHECK(!r, "rmmod: %s", strerror(-r));
	r = load_module(ko, "");
	CHECK(r == 0 && wait_for_node(c->dev, true), "reload: %s", strerror(-r));
	return true;
}

/* The 32-bit compat ioctl path ---------------------------------------------------------- */

/* Intel 82574L (QEMU e1000e, 8086:10d3) on intel-msix ------------------------------------ */

/*
 * BAR0 registers and bits (82574L datasheet; QEMU 7.2's hw/net/e1000e_core.c is what the lab runs).
 * ICR reads clear it in INTx and MSI mode, and in MSI-X mode only when IMS is 0 or (ICR has the
 * asserted bit and CTRL_EXT.IAME is set): the MSI-X tests set IAME, so that ICR is read-to-clear in
 * every mode. ICS sets causes (as if they happened); IMS enables them, IMC disables them. In MSI-X
 * mode IVAR routes RXQ0, RXQ1, TXQ0, TXQ1 and OTHER to a vector each (4 bits: vector 0-4 | 0x8
 * valid); EIAC (0 here) would clear a cause from ICR as its vector fires.
 */
#define E1K_CTRL_EXT	0x18
#define E1K_ICR		0xc0
#define E1K_ICS		0xc8
#define E1K_IMS		0xd0
#define E1K_IMC		0xd8
#define E1K_EIAC	0xdc
#define E1K_IAM		0xe0
#define E1K_IVAR	0xe4
#define E1K_CTRL_EXT_IAME (1u << 27)
#define E1K_LSC		(1u << 2)
#define E1K_RXQ0	(1u << 20)
#define E1K_RXQ1	(1u << 21)
#define E1K_TXQ0	(1u << 22)
#define E1K_TXQ1	(1u << 23)
#define E1K_OTHER	(1u << 24)
#define E1K_ASSERTED	(1u << 31)
#define E1K_BAR0_SIZE	(128u << 10)
#define E1K_NVEC	5
#define E1K_QUIET_MS	300

static const uint32_t e1k_causes[E1K_NVEC] = { E1K_RXQ0, E1K_RXQ1, E1K_TXQ0, E1K_TXQ1, E1K_OTHER };
static const char *const e1k_cause_names[E1K_NVEC] = { "RXQ0", "RXQ1", "TXQ0", "TXQ1", "OTHER" };
/* Not the identity, so that a record's vector proves the routing: RXQ0->3 RXQ1->1 TXQ0->4 TXQ1->0 OTHER->2. */
static const uint32_t e1k_route[E1K_NVEC] = { 3, 1, 4, 0, 2 };

static uint32_t e1k_ivar(const uint32_t *route)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < E1K_NVEC; i++)
		v |= (0x8 | route[i]) << (4 * i);
	return v;
}

static struct valirq_step e1k_step(uint32_t op, uint32_t off, uint32_t mask, uint32_t value)
{
	struct valirq_step s = { .reg = edu_reg(off), .op = op, .mask = mask, .value = value };

	return s;
}

/* Read-to-clear check: the card interrupts when ICR has any cause; no ack steps (ICR cleared by the read). */
static struct valirq_program e1k_program(void)
{
	struct valirq_program p;

	memset(&p, 0, sizeof(p));
	p.flags = VALIRQ_PROG_READ_TO_CLEAR;
	p.check = e1k_step(VALIRQ_OP_READ_NE, E1K_ICR, ~E1K_ASSERTED, 0);
	return p;
}

/* init: IAME (ICR read-to-clear in MSI-X mode too), IVAR routing, IMS = causes; disable: IMC everything. */
static struct valirq_init e1k_init(uint32_t ims)
{
	struct valirq_init in;

	memset(&in, 0, sizeof(in));
	in.n_init = 3;
	in.init[0] = e1k_step(VALIRQ_OP_SET_BITS, E1K_CTRL_EXT, 0, E1K_CTRL_EXT_IAME);
	in.init[1] = e1k_step(VALIRQ_OP_WRITE, E1K_IVAR, 0, e1k_ivar(e1k_route));
	in.init[2] = e1k_step(VALIRQ_OP_WRITE, E1K_IMS, 0, ims);
	in.n_disable = 1;
	in.disable[0] = e1k_step(VALIRQ_OP_WRITE, E1K_IMC, 0, 0xffffffff);
	return in;
}

/* The card as after reset, from outside: nothing enabled, nothing routed, no cause pending. */
static void e1k_quiet(const struct card *c)
{
	bar_wr32(c, E1K_IMC, 0xffffffff);
	bar_wr32(c, E1K_EIAC, 0);
	bar_wr32(c, E1K_IAM, 0);
	bar_wr32(c, E1K_IVAR, 0);
	bar_wr32(c, E1K_CTRL_EXT, bar_rd32(c, E1K_CTRL_EXT) & ~E1K_CTRL_EXT_IAME);
	bar_wr32(c, E1K_ICR, 0xffffffff);	/* write 1 to clear */
}

/* Raises causes through the stimulus hook (a write of ICS); CLOCK_MONOTONIC before it, 0 on failure. */
static uint64_t e1k_raise(const struct card *c, uint32_t causes)
{
	struct valirq_stimulus st = { .reg = edu_reg(E1K_ICS), .value = causes };
	int r = stimulus_ioctl(c, &st);

	if (r) {
		errno = -r;
		return 0;
	}
	return st.before_ns;
}

/* Opens the card with the e1000e program, init (when in), quiesce q, and enables mode/vectors; fd or -errno. */
static int e1k_open(const struct card *c, uint32_t mode, uint32_t vectors, const struct valirq_init *in,
		    const struct valirq_quiesce *q)
{
	struct valirq_program p = e1k_program();
	struct valirq_enable en = { .mode = mode, .vectors = vectors };
	int fd = open(c->dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p) || (in && ioctl(fd, VALIRQ_IOC_SET_INIT, in)) ||
	    (q && ioctl(fd, VALIRQ_IOC_SET_QUIESCE, q)) || ioctl(fd, VALIRQ_IOC_ENABLE, &en)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static bool t_e1k_info(const struct card *c)
{
	struct valirq_info info;
	uint32_t v = 0;
	int fd = open(c->dev, O_RDWR);

	CHECK(fd >= 0, "open %s: %s", c->dev, strerror(errno));
	memset(&info, 0xa5, sizeof(info));
	CHECK(!ioctl(fd, VALIRQ_IOC_VERSION, &v) && v == 3, "version %u, want 3", v);
	CHECK(!ioctl(fd, VALIRQ_IOC_INFO, &info), "INFO: %s", strerror(errno));
	close(fd);
	CHECK(info.version == 3 && info.vendor == 0x8086 && info.device == 0x10d3, "version %u ids %04x:%04x", info.version,
	      info.vendor, info.device);
	CHECK(info.msix_vectors == E1K_NVEC, "msix_vectors %u, the 82574L has %d", info.msix_vectors, E1K_NVEC);
	CHECK(info.msi_capable && info.intx_mask_capable && info.irq_pin, "msi %u pci23 %u pin %u", info.msi_capable,
	      info.intx_mask_capable, info.irq_pin);
	CHECK(!info.reserved16 && !info.reserved32, "INFO reserved fields 0x%x 0x%x", info.reserved16, info.reserved32);
	CHECK((info.bars[0].flags & VALIRQ_BAR_PRESENT) && info.bars[0].size == E1K_BAR0_SIZE, "BAR0 flags 0x%x size %llu",
	      info.bars[0].flags, (unsigned long long)info.bars[0].size);
	printf("# 82574L: %u MSI-X vectors, legacy irq %u, BAR0 %llu KiB\n", info.msix_vectors, info.legacy_irq,
	       (unsigned long long)info.bars[0].size >> 10);
	return true;
}

/* One EINVAL case of the new interfaces on the 82574L; nothing installed afterwards (the card enables). */
static bool e1k_einval(const struct card *c, struct valirq_program *p, struct valirq_init *in, struct valirq_enable *en,
		       const char *what)
{
	int fd = open(c->dev, O_RDWR), r = 0, e;

	CHECK(fd >= 0, "open: %s", strerror(errno));
	if (p)
		r = ioctl(fd, VALIRQ_IOC_SET_PROGRAM, p);
	else if (in)
		r = ioctl(fd, VALIRQ_IOC_SET_INIT, in);
	else
		r = ioctl(fd, VALIRQ_IOC_ENABLE, en);
	e = errno;
	close(fd);
	CHECK(r == -1 && e == EINVAL, "%s: returned %d (%s), want EINVAL", what, r, r ? strerror(e) : "accepted");
	return true;
}

static bool t_e1k_validation(const struct card *c)
{
	struct valirq_program p = e1k_program();
	struct valirq_init in = e1k_init(E1K_RXQ0);
	struct valirq_enable en = { .mode = VALIRQ_MODE_MSIX, .vectors = 1u << E1K_NVEC };
	int fd;

	if (!e1k_einval(c, NULL, NULL, &en, "MSI-X vector 5 of a 5-entry table"))
		return false;
	en.vectors = 1u << 31;
	if (!e1k_einval(c, NULL, NULL, &en, "MSI-X vector 31 of a 5-entry table"))
		return false;
	en.vectors = 0;
	if (!e1k_einval(c, NULL, NULL, &en, "MSI-X with no vector"))
		return false;
	en.mode = VALIRQ_MODE_MSI;
	en.vectors = 1;
	if (!e1k_einval(c, NULL, NULL, &en, "vectors in MSI mode"))
		return false;
	en.mode = VALIRQ_MODE_INTX_EXCLUSIVE;
	if (!e1k_einval(c, NULL, NULL, &en, "vectors in INTx mode"))
		return false;
	en.mode = VALIRQ_MODE_MSIX;
	en.vectors = 1;
	en.reserved = 1;
	if (!e1k_einval(c, NULL, NULL, &en, "MSI-X with the reserved field set"))
		return false;
	p.flags |= 1u << 1;
	if (!e1k_einval(c, &p, NULL, NULL, "unknown program flag (bit 1) beside READ_TO_CLEAR"))
		return false;
	in.init[1].op = VALIRQ_OP_WRITE_STATUS;
	if (!e1k_einval(c, NULL, &in, NULL, "WRITE_STATUS as an init step"))
		return false;
	in = e1k_init(E1K_RXQ0);
	in.disable[0].op = VALIRQ_OP_WRITE_STATUS;
	if (!e1k_einval(c, NULL, &in, NULL, "WRITE_STATUS as a disable step"))
		return false;
	in = e1k_init(E1K_RXQ0);
	in.init[2].reg.offset = E1K_BAR0_SIZE;
	if (!e1k_einval(c, NULL, &in, NULL, "init step at the end of BAR0"))
		return false;
	in = e1k_init(E1K_RXQ0);
	in.init[0].reg.space = VALIRQ_SPACE_IO;
	if (!e1k_einval(c, NULL, &in, NULL, "init step: I/O space on the memory BAR0"))
		return false;
	in = e1k_init(E1K_RXQ0);
	in.disable[0].reg.bar = 4;
	if (!e1k_einval(c, NULL, &in, NULL, "disable step on an absent BAR"))
		return false;
	/* After all that: the valid ones are accepted and serve an interrupt. */
	e1k_quiet(c);
	in = e1k_init(E1K_RXQ0);
	fd = e1k_open(c, VALIRQ_MODE_MSIX, 1u << e1k_route[0], &in, NULL);
	CHECK(fd >= 0, "the valid program, init and MSI-X vector %u: %s", e1k_route[0], strerror(-fd));
	close(fd);
	e1k_quiet(c);
	return true;
}

/* Raises cause i and waits for its record; checks vector, status and count. */
static bool e1k_round(const struct card *c, int fd, int i, uint64_t seq, int timeout_ms)
{
	struct valirq_event ev;
	uint64_t before = e1k_raise(c, e1k_causes[i]);
	int r;

	CHECK(before, "stimulus (ICS): %s", strerror(errno));
	r = wait_event(fd, &ev, timeout_ms);
	CHECK(r == 0, "cause %s: no record (%s)", e1k_cause_names[i], strerror(-r));
	CHECK(ev.vector == e1k_route[i], "cause %s: record on vector %u, IVAR routes it to %u", e1k_cause_names[i], ev.vector,
	      e1k_route[i]);
	CHECK((ev.status & ~E1K_ASSERTED & ~E1K_OTHER) == e1k_causes[i] || (i == 4 && (ev.status & E1K_OTHER)),
	      "cause %s: status 0x%x", e1k_cause_names[i], ev.status);
	CHECK(ev.count == 1 && (!seq || ev.seq == seq) && ev.hardirq_ns >= before && ev.thread_ns >= ev.hardirq_ns &&
	      !(ev.flags & (VALIRQ_EV_MISMATCH | VALIRQ_EV_OVERRUN)) && !ev.reserved0 && !ev.reserved1,
	      "cause %s: count %u seq %llu (want %llu) flags 0x%x", e1k_cause_names[i], ev.count, (unsigned long long)ev.seq,
	      (unsigned long long)seq, ev.flags);
	return true;
}

/* No record within ms. */
static bool quiet_for(int fd, int ms, const char *what)
{
	struct valirq_event ev;
	int r = wait_event(fd, &ev, ms);

	CHECK(r == -ETIMEDOUT, "%s: a record arrived (vector %u status 0x%x flags 0x%x)", what, r ? 0 : ev.vector,
	      r ? 0 : ev.status, r ? 0 : ev.flags);
	return true;
}

static bool t_e1k_msix_vectors(const struct card *c, int rounds)
{
	struct valirq_init in = e1k_init(E1K_RXQ0 | E1K_RXQ1 | E1K_TXQ0 | E1K_TXQ1 | E1K_OTHER);
	long long h0 = counter(c, "hardirqs");
	int per[E1K_NVEC] = { 0 }, fd, i, k;
	char buf[32];
	bool ok = false;
	uint64_t seq = 0;

	e1k_quiet(c);
	fd = e1k_open(c, VALIRQ_MODE_MSIX, (1u << E1K_NVEC) - 1, &in, NULL);
	CHECK(fd >= 0, "enable MSI-X vectors 0-4: %s", strerror(-fd));
	EXPECT(!strcmp(attr(c, "mode", buf, sizeof(buf)), "msix"), "sysfs mode %s", buf);
	EXPECT(counter(c, "busmaster") == 1, "bus mastering off in MSI-X mode");
	EXPECT(bar_rd32(c, E1K_IVAR) == (e1k_ivar(e1k_route) & 0xfffff), "IVAR 0x%x after init, want 0x%x",
	       bar_rd32(c, E1K_IVAR), e1k_ivar(e1k_route));
	for (k = 0; k < rounds; k++) {
		for (i = 0; i < E1K_NVEC; i++) {
			if (!e1k_round(c, fd, i, ++seq, EVENT_TIMEOUT_MS))
				goto out;
			per[e1k_route[i]]++;
			EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
		}
	}
	EXPECT(counter(c, "hardirqs") - h0 == (long long)seq, "sysfs hardirqs +%lld, %llu records", counter(c, "hardirqs") - h0,
	       (unsigned long long)seq);
	if (!quiet_for(fd, 100, "after the last re-arm"))
		goto out;
	printf("# MSI-X: %llu interrupts, per vector %d %d %d %d %d\n", (unsigned long long)seq, per[0], per[1], per[2],
	       per[3], per[4]);
	ok = true;
out:
	close(fd);
	e1k_quiet(c);
	return ok;
}

/*
 * A vector that fired stays masked until the re-arm, the others keep interrupting; the re-arm
 * delivers what the masked vector held. Only the vectors asked for exist: a cause routed to a
 * vector not enabled never reaches the opener.
 */
static bool t_e1k_msix_masking(const struct card *c)
{
	struct valirq_init in = e1k_init(E1K_RXQ0 | E1K_RXQ1 | E1K_TXQ0 | E1K_TXQ1);
	struct valirq_event ev;
	uint32_t vecs = (1u << e1k_route[0]) | (1u << e1k_route[2]) | (1u << e1k_route[3]);	/* RXQ0 TXQ0 TXQ1 */
	bool ok = false;
	int fd, r;

	e1k_quiet(c);
	fd = e1k_open(c, VALIRQ_MODE_MSIX, vecs, &in, NULL);
	CHECK(fd >= 0, "enable MSI-X vectors 0x%x: %s", vecs, strerror(-fd));
	if (!e1k_round(c, fd, 0, 1, EVENT_TIMEOUT_MS))
		goto out;
	/* RXQ0's vector is masked now; TXQ0's still interrupts. */
	EXPECT(counter(c, "masked") == 1, "sysfs masked %lld", counter(c, "masked"));
	if (!e1k_round(c, fd, 2, 2, EVENT_TIMEOUT_MS))
		goto out;
	/* RXQ0 again: held at its masked vector (ICR keeps the cause) until the re-arm. */
	EXPECT(e1k_raise(c, E1K_RXQ0), "stimulus: %s", strerror(errno));
	if (!quiet_for(fd, E1K_QUIET_MS, "RXQ0 again before the re-arm (its vector should be masked)"))
		goto out;
	EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
	EXPECT(r == 0 && ev.vector == e1k_route[0] && (ev.status & E1K_RXQ0) && ev.seq == 3, "the held RXQ0 after the re-arm: "
	       "%s, vector %u status 0x%x seq %llu", r ? strerror(-r) : "ok", r ? 0 : ev.vector, r ? 0 : ev.status,
	       r ? 0ull : (unsigned long long)ev.seq);
	EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	if (!quiet_for(fd, 50, "after the second re-arm"))
		goto out;
	/* RXQ1 routes to vector 1, not enabled: masked in the table, nothing for the opener. */
	EXPECT(e1k_raise(c, E1K_RXQ1), "stimulus: %s", strerror(errno));
	if (!quiet_for(fd, E1K_QUIET_MS, "RXQ1 routed to a vector not enabled"))
		goto out;
	bar_wr32(c, E1K_ICR, 0xffffffff);
	if (!e1k_round(c, fd, 3, 4, EVENT_TIMEOUT_MS))
		goto out;
	ok = true;
out:
	close(fd);
	e1k_quiet(c);
	return ok;
}

/* IMS is written by the init steps: without them the card does not interrupt, with them it does. */
static bool t_e1k_init(const struct card *c)
{
	struct valirq_init in = e1k_init(E1K_TXQ1);
	bool ok = false;
	int fd;

	e1k_quiet(c);
	/* Routing and IAME by hand, so that only IMS is missing. */
	bar_wr32(c, E1K_IVAR, e1k_ivar(e1k_route));
	bar_wr32(c, E1K_CTRL_EXT, bar_rd32(c, E1K_CTRL_EXT) | E1K_CTRL_EXT_IAME);
	fd = e1k_open(c, VALIRQ_MODE_MSIX, 1u << e1k_route[3], NULL, NULL);
	CHECK(fd >= 0, "enable without init: %s", strerror(-fd));
	EXPECT(bar_rd32(c, E1K_IMS) == 0, "IMS 0x%x with no init", bar_rd32(c, E1K_IMS));
	EXPECT(e1k_raise(c, E1K_TXQ1), "stimulus: %s", strerror(errno));
	if (!quiet_for(fd, E1K_QUIET_MS, "no init (IMS 0)"))
		goto out;
	close(fd);
	e1k_quiet(c);
	fd = e1k_open(c, VALIRQ_MODE_MSIX, 1u << e1k_route[3], &in, NULL);
	CHECK(fd >= 0, "enable with init: %s", strerror(-fd));
	EXPECT(bar_rd32(c, E1K_IMS) == E1K_TXQ1, "IMS 0x%x after init, want 0x%x", bar_rd32(c, E1K_IMS), E1K_TXQ1);
	if (!e1k_round(c, fd, 3, 1, EVENT_TIMEOUT_MS))
		goto out;
	ok = true;
out:
	close(fd);
	e1k_quiet(c);
	return ok;
}

/* PCI 2.3 Interrupt Status of the card: it asserts (or would, INTx being disabled) its line. */
static bool e1k_pci_asserted(const struct card *c)
{
	return intx_asserted(c->addr);
}

/*
 * The disable steps: after DISABLE and after release IMS reads 0 and a raised cause asserts nothing;
 * a revoked opener's disable steps never run (IMS stays as its init left it).
 */
static bool t_e1k_disable(const struct card *c)
{
	struct valirq_init in = e1k_init(E1K_RXQ0 | E1K_LSC);
	bool ok = false;
	int fd, r;

	e1k_quiet(c);
	fd = e1k_open(c, VALIRQ_MODE_MSIX, 1u << e1k_route[0], &in, NULL);
	CHECK(fd >= 0, "enable: %s", strerror(-fd));
	if (!e1k_round(c, fd, 0, 1, EVENT_TIMEOUT_MS))
		goto out;
	EXPECT(!ioctl(fd, VALIRQ_IOC_DISABLE), "DISABLE: %s", strerror(errno));
	EXPECT(bar_rd32(c, E1K_IMS) == 0, "IMS 0x%x after DISABLE, want 0 (the disable steps)", bar_rd32(c, E1K_IMS));
	EXPECT(e1k_raise(c, E1K_LSC), "stimulus: %s", strerror(errno));
	EXPECT(!e1k_pci_asserted(c), "the card asserts INTx after DISABLE");
	bar_wr32(c, E1K_ICR, 0xffffffff);
	/* Enabled again (init runs again), then released. */
	r = ioctl(fd, VALIRQ_IOC_ENABLE, &(struct valirq_enable){ .mode = VALIRQ_MODE_MSIX, .vectors = 1u << e1k_route[0] });
	EXPECT(!r, "ENABLE after DISABLE: %s", strerror(errno));
	EXPECT(bar_rd32(c, E1K_IMS) == (E1K_RXQ0 | E1K_LSC), "IMS 0x%x after the second init", bar_rd32(c, E1K_IMS));
	close(fd);
	fd = -1;
	EXPECT(bar_rd32(c, E1K_IMS) == 0, "IMS 0x%x after release, want 0 (the disable steps)", bar_rd32(c, E1K_IMS));
	EXPECT(e1k_raise(c, E1K_LSC), "stimulus: %s", strerror(errno));
	EXPECT(!e1k_pci_asserted(c), "the card asserts INTx after release");
	bar_wr32(c, E1K_ICR, 0xffffffff);
	/* Revoked: nothing of the opener's runs, its init's IMS stays. */
	fd = e1k_open(c, VALIRQ_MODE_MSIX, 1u << e1k_route[0], &in, NULL);
	EXPECT(fd >= 0, "enable: %s", strerror(-fd));
	EXPECT(!ioctl(fd, VALIRQ_IOC_REVOKE), "REVOKE: %s", strerror(errno));
	EXPECT(bar_rd32(c, E1K_IMS) == (E1K_RXQ0 | E1K_LSC), "IMS 0x%x after revoke: the revoked opener's disable steps ran",
	       bar_rd32(c, E1K_IMS));
	close(fd);
	fd = -1;
	EXPECT(bar_rd32(c, E1K_IMS) == (E1K_RXQ0 | E1K_LSC), "IMS 0x%x after the revoked opener's release: its disable "
	       "steps ran", bar_rd32(c, E1K_IMS));
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	e1k_quiet(c);
	return ok;
}

/*
 * READ_TO_CLEAR: each record's status is the one read of ICR (the cause bits), and ICR reads 0 through
 * debugfs afterwards (that read was the only one, and it took the causes). In INTx mode the card
 * asserting at ENABLE is not read by ENABLE: its cause reaches the first hard IRQ. The release does
 * not read it either: a cause raised with IMS 0 is still in ICR after the release.
 */
static bool t_e1k_read_to_clear(const struct card *c, uint32_t mode, int rounds)
{
	struct valirq_init in = e1k_init(E1K_LSC | E1K_RXQ0);
	struct valirq_event ev;
	uint32_t icr, vecs = mode == VALIRQ_MODE_MSIX ? 1u << e1k_route[0] : 0;
	bool ok = false;
	int fd = -1, k, r;

	for (k = 0; k < rounds; k++) {
		e1k_quiet(c);
		fd = e1k_open(c, mode, vecs, &in, NULL);
		CHECK(fd >= 0, "enable %s: %s", mode_name(mode), strerror(-fd));
		EXPECT(e1k_raise(c, mode == VALIRQ_MODE_MSIX ? E1K_RXQ0 : E1K_LSC), "stimulus: %s", strerror(errno));
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		EXPECT(r == 0, "no record: %s", strerror(-r));
		EXPECT((ev.status & (E1K_RXQ0 | E1K_LSC)) == (mode == VALIRQ_MODE_MSIX ? E1K_RXQ0 : E1K_LSC) &&
		       (ev.status & E1K_ASSERTED) && !(ev.flags & VALIRQ_EV_MISMATCH),
		       "status 0x%x flags 0x%x: the cause bits of the one ICR read", ev.status, ev.flags);
		icr = bar_rd32(c, E1K_ICR);
		EXPECT(icr == 0, "ICR 0x%x after the record: valirq's read did not clear it", icr);
		EXPECT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
		if (!quiet_for(fd, 50, "after the re-arm"))
			goto out;
		close(fd);
		fd = -1;
	}
	if (mode == VALIRQ_MODE_INTX_EXCLUSIVE) {
		/* Asserting before ENABLE (INTx held off by valirq): ENABLE must not read the cause away. */
		e1k_quiet(c);
		bar_wr32(c, E1K_IMS, E1K_LSC);
		e1k_raise(c, E1K_LSC);
		EXPECT(e1k_pci_asserted(c), "the card does not assert with IMS LSC and LSC raised");
		fd = e1k_open(c, mode, 0, NULL, NULL);
		EXPECT(fd >= 0, "enable while the card asserts: %s (a read-to-clear check is not read at ENABLE)",
		       strerror(-fd));
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		EXPECT(r == 0 && (ev.status & E1K_LSC), "the cause pending at ENABLE never reached the opener (%s, status "
		       "0x%x): ENABLE read ICR", r ? strerror(-r) : "record", r ? 0 : ev.status);
		close(fd);
		fd = -1;
	}
	/* Release: a cause pending in ICR (IMS 0: no interrupt) is not read by the release. */
	e1k_quiet(c);
	fd = e1k_open(c, mode, vecs, NULL, NULL);
	EXPECT(fd >= 0, "enable: %s", strerror(-fd));
	e1k_raise(c, E1K_LSC);
	close(fd);
	fd = -1;
	icr = bar_rd32(c, E1K_ICR);
	EXPECT(icr & E1K_LSC, "ICR 0x%x after release: the release read the read-to-clear check", icr);
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	e1k_quiet(c);
	return ok;
}

#define COMPAT(cond, ...) do { if (!(cond)) { printf("# compat32: FAILED: "); printf(__VA_ARGS__); printf("\n"); \
	return 1; } printf("# compat32: ok: %s\n", #cond); } while (0)

/* Run by valirq_test32 (gcc -m32): the ABI through compat_ioctl and a 32-bit mmap offset. */
/* The module-level debugfs window (any driver, or none) ----------------------------------- */

#define WINDOW_PATH "/sys/kernel/debug/valirq/window"

static int win_open(void)
{
	return open(WINDOW_PATH, O_RDWR | O_CLOEXEC);
}

/* Parses DDDD:BB:DD.F into a window request on bar. */
static struct valirq_window win_req(const char *addr, unsigned int bar)
{
	struct valirq_window w = { .bar = bar };
	unsigned int dom = 0, bus = 0, slot = 0, fn = 0;

	sscanf(addr, "%x:%x:%x.%x", &dom, &bus, &slot, &fn);
	w.domain = dom;
	w.bus = bus;
	w.devfn = (slot << 3) | fn;
	return w;
}

/* 0 or -errno of VALIRQ_IOC_WINDOW. */
static int win_target(int fd, struct valirq_window w)
{
	return ioctl(fd, VALIRQ_IOC_WINDOW, &w) ? -errno : 0;
}

/* A window on addr's bar, or -errno. */
static int win_on(const char *addr, unsigned int bar)
{
	int fd = win_open(), r;

	if (fd < 0)
		return -errno;
	r = win_target(fd, win_req(addr, bar));
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

/* 0 or -errno of one access of width bytes at off (-EIO for a short one). */
static int win_access(int fd, bool wr, off_t off, unsigned int width, void *v)
{
	ssize_t n = wr ? pwrite(fd, v, width, off) : pread(fd, v, width, off);

	return n < 0 ? -errno : n == (ssize_t)width ? 0 : -EIO;
}

static uint32_t win_rd32(int fd, uint32_t off)
{
	uint32_t v = ~0u;

	return win_access(fd, false, off, 4, &v) ? ~0u : v;
}

static bool win_wr32(int fd, uint32_t off, uint32_t v)
{
	return !win_access(fd, true, off, 4, &v);
}

static int win_stimulus(int fd, struct valirq_stimulus *st)
{
	return ioctl(fd, VALIRQ_IOC_STIMULUS, st) ? -errno : 0;
}

static struct valirq_stimulus win_raise(uint32_t value)
{
	struct valirq_stimulus st = { .reg = edu_reg(EDU_IRQ_RAISE), .value = value };

	return st;
}

/* A function of this machine with an I/O BAR (its address and BAR), from sysfs; false if none. */
static bool find_io_bar(char *addr, size_t len, unsigned int *bar)
{
	glob_t g;
	size_t i;
	bool found = false;

	if (glob("/sys/bus/pci/devices/*/resource", 0, NULL, &g))
		return false;
	for (i = 0; i < g.gl_pathc && !found; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		unsigned long long start, end, flags;
		unsigned int n;

		for (n = 0; f && n < 6 && fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3; n++) {
			if ((flags & 0x100) && end > start) {	/* IORESOURCE_IO */
				const char *p = g.gl_pathv[i] + strlen("/sys/bus/pci/devices/");

				snprintf(addr, len, "%.*s", (int)(strchr(p, '/') - p), p);
				*bar = n;
				found = true;
				break;
			}
		}
		if (f)
			fclose(f);
	}
	globfree(&g);
	return found;
}

static bool t_window_untargeted(void)
{
	struct valirq_stimulus st = win_raise(1);
	uint32_t v = 0;
	int fd = win_open(), r;
	bool ok = false;
	struct stat sb;

	CHECK(fd >= 0, "open %s: %s", WINDOW_PATH, strerror(errno));
	EXPECT(!stat(WINDOW_PATH, &sb) && (sb.st_mode & 0777) == 0600, "%s mode %o, want 0600", WINDOW_PATH,
	       sb.st_mode & 0777);
	r = win_access(fd, false, EDU_ID, 4, &v);
	EXPECT(r == -ENXIO, "pread before VALIRQ_IOC_WINDOW: %s, want ENXIO", r ? strerror(-r) : "served");
	r = win_access(fd, true, EDU_LIVENESS, 4, &v);
	EXPECT(r == -ENXIO, "pwrite before VALIRQ_IOC_WINDOW: %s, want ENXIO", r ? strerror(-r) : "served");
	r = win_stimulus(fd, &st);
	EXPECT(r == -ENXIO, "STIMULUS before VALIRQ_IOC_WINDOW: %s, want ENXIO", r ? strerror(-r) : "served");
	r = ioctl(fd, VALIRQ_IOC_ACK) ? -errno : 0;
	EXPECT(r == -ENOTTY, "another command on the window: %s, want ENOTTY", r ? strerror(-r) : "accepted");
	ok = true;
out:
	close(fd);
	return ok;
}

static bool t_window_target_einval(const struct card *c)
{
	struct valirq_window w;
	char ioaddr[64], path[128];
	unsigned int iobar;
	int fd = win_open(), r;
	bool ok = false;

	CHECK(fd >= 0, "open %s: %s", WINDOW_PATH, strerror(errno));
	w = win_req(c->addr, 0);
	w.reserved = 1;
	r = win_target(fd, w);
	EXPECT(r == -EINVAL, "reserved 1: %s, want EINVAL", r ? strerror(-r) : "accepted");
	r = win_target(fd, win_req(c->addr, 1));
	EXPECT(r == -EINVAL, "edu's absent BAR 1: %s, want EINVAL", r ? strerror(-r) : "accepted");
	r = win_target(fd, win_req(c->addr, 6));
	EXPECT(r == -EINVAL, "BAR 6: %s, want EINVAL", r ? strerror(-r) : "accepted");
	r = win_target(fd, win_req(c->addr, 255));
	EXPECT(r == -EINVAL, "BAR 255: %s, want EINVAL", r ? strerror(-r) : "accepted");
	if (find_io_bar(ioaddr, sizeof(ioaddr), &iobar)) {
		r = win_target(fd, win_req(ioaddr, iobar));
		EXPECT(r == -EINVAL, "the I/O BAR %u of %s: %s, want EINVAL", iobar, ioaddr, r ? strerror(-r) : "accepted");
		printf("# an I/O BAR refused: %s BAR %u\n", ioaddr, iobar);
	} else {
		printf("# no function with an I/O BAR in this topology: that case is not exercised\n");
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/0000:fe:1f.7");
	EXPECT(access(path, F_OK) != 0, "%s exists", path);
	r = win_target(fd, win_req("0000:fe:1f.7", 0));
	EXPECT(r == -ENODEV, "0000:fe:1f.7 (no such function): %s, want ENODEV", r ? strerror(-r) : "accepted");
	r = win_target(fd, win_req("7fff:00:00.0", 0));
	EXPECT(r == -ENODEV, "domain 0x7fff (no such function): %s, want ENODEV", r ? strerror(-r) : "accepted");
	/* Every refusal left the file untargeted: it can still be targeted. */
	r = win_access(fd, false, EDU_ID, 4, &iobar);
	EXPECT(r == -ENXIO, "after the refusals, a read: %s, want ENXIO", r ? strerror(-r) : "served");
	r = win_target(fd, win_req(c->addr, 0));
	EXPECT(!r, "then BAR 0 of %s: %s", c->addr, strerror(-r));
	EXPECT(win_rd32(fd, EDU_ID) == 0x010000ed, "identification 0x%x", win_rd32(fd, EDU_ID));
	ok = true;
out:
	close(fd);
	return ok;
}

static bool t_window_busy(const struct card *c)
{
	char ioaddr[64];
	unsigned int iobar;
	int fd = win_on(c->addr, 0), r;
	bool ok = false;

	CHECK(fd >= 0, "window on %s BAR 0: %s", c->addr, strerror(-fd));
	r = win_target(fd, win_req(c->addr, 0));
	EXPECT(r == -EBUSY, "the same target again: %s, want EBUSY", r ? strerror(-r) : "accepted");
	r = win_target(fd, win_req("0000:fe:1f.7", 0));
	EXPECT(r == -EBUSY, "another (absent) function: %s, want EBUSY", r ? strerror(-r) : "accepted");
	if (find_io_bar(ioaddr, sizeof(ioaddr), &iobar)) {
		r = win_target(fd, win_req(ioaddr, iobar));
		EXPECT(r == -EBUSY, "another function's BAR: %s, want EBUSY", r ? strerror(-r) : "accepted");
	}
	EXPECT(win_rd32(fd, EDU_ID) == 0x010000ed, "the first target was not kept: identification 0x%x",
	       win_rd32(fd, EDU_ID));
	ok = true;
out:
	close(fd);
	return ok;
}

static bool t_window_access_einval(const struct card *c)
{
	uint8_t buf[8] = { 0 };
	uint32_t v;
	int fd = win_on(c->addr, 0), r, w;
	bool ok = false;

	CHECK(fd >= 0, "window on %s BAR 0: %s", c->addr, strerror(-fd));
	r = win_access(fd, false, EDU_LIVENESS, 3, buf);
	EXPECT(r == -EINVAL, "width 3: %s, want EINVAL", r ? strerror(-r) : "served");
	r = win_access(fd, false, EDU_LIVENESS, 8, buf);
	EXPECT(r == -EINVAL, "width 8: %s, want EINVAL", r ? strerror(-r) : "served");
	r = win_access(fd, true, EDU_LIVENESS, 3, buf);
	EXPECT(r == -EINVAL, "a 3-byte write: %s, want EINVAL", r ? strerror(-r) : "served");
	r = win_access(fd, false, EDU_LIVENESS + 2, 4, &v);
	EXPECT(r == -EINVAL, "misaligned 4-byte read (0x%x): %s, want EINVAL", EDU_LIVENESS + 2, r ? strerror(-r) : "served");
	r = win_access(fd, true, EDU_LIVENESS + 1, 2, buf);
	EXPECT(r == -EINVAL, "misaligned 2-byte write (0x%x): %s, want EINVAL", EDU_LIVENESS + 1, r ? strerror(-r) : "served");
	for (w = 1; w <= 4; w *= 2) {
		r = win_access(fd, false, EDU_BAR0_SIZE, w, buf);
		EXPECT(r == -EINVAL, "width %d at the BAR's size: %s, want EINVAL", w, r ? strerror(-r) : "served");
		r = win_access(fd, false, EDU_BAR0_SIZE - w, w, buf);
		EXPECT(!r, "width %d, the BAR's last register: %s", w, strerror(-r));
	}
	r = win_access(fd, false, 0xfffffffcu, 4, &v);
	EXPECT(r == -EINVAL, "offset 0xfffffffc: %s, want EINVAL", r ? strerror(-r) : "served");
	r = win_access(fd, false, 1ull << 33, 4, &v);
	EXPECT(r == -EINVAL, "offset 2^33: %s, want EINVAL", r ? strerror(-r) : "served");
	ok = true;
out:
	close(fd);
	return ok;
}

static bool t_window_stimulus_einval(const struct card *c)
{
	struct valirq_stimulus st;
	int fd = win_on(c->addr, 0), r;
	bool ok = false;

	CHECK(fd >= 0, "window on %s BAR 0: %s", c->addr, strerror(-fd));
	EXPECT(win_wr32(fd, EDU_LIVENESS, 0x5a5a0000), "liveness write: %s", strerror(errno));
	/* Harmless registers: a stimulus that wrongly went through writes liveness, not the raise. */
	st = win_raise(0x1234);
	st.reg.offset = EDU_LIVENESS;
	st.reg.bar = 1;
	r = win_stimulus(fd, &st);
	EXPECT(r == -EINVAL, "reg.bar 1 on a window on BAR 0: %s, want EINVAL", r ? strerror(-r) : "accepted");
	st.reg.bar = 0;
	st.reg.space = VALIRQ_SPACE_IO;
	r = win_stimulus(fd, &st);
	EXPECT(r == -EINVAL, "space I/O: %s, want EINVAL", r ? strerror(-r) : "accepted");
	st.reg.space = VALIRQ_SPACE_MEM;
	st.reg.offset = EDU_LIVENESS + 2;
	r = win_stimulus(fd, &st);
	EXPECT(r == -EINVAL, "misaligned: %s, want EINVAL", r ? strerror(-r) : "accepted");
	st.reg.offset = EDU_BAR0_SIZE;
	r = win_stimulus(fd, &st);
	EXPECT(r == -EINVAL, "beyond the BAR: %s, want EINVAL", r ? strerror(-r) : "accepted");
	st.reg.offset = EDU_LIVENESS;
	st.reg.width = 3;
	r = win_stimulus(fd, &st);
	EXPECT(r == -EINVAL, "width 3: %s, want EINVAL", r ? strerror(-r) : "accepted");
	st.reg.width = 4;
	st.reserved = 1;
	r = win_stimulus(fd, &st);
	EXPECT(r == -EINVAL, "stimulus reserved 1: %s, want EINVAL", r ? strerror(-r) : "accepted");
	st.reserved = 0;
	st.reg.reserved = 1;
	r = win_stimulus(fd, &st);
	EXPECT(r == -EINVAL, "register reserved 1: %s, want EINVAL", r ? strerror(-r) : "accepted");
	EXPECT(win_rd32(fd, EDU_LIVENESS) == ~0x5a5a0000u, "a refused stimulus wrote the card: liveness 0x%x",
	       win_rd32(fd, EDU_LIVENESS));
	st.reg.reserved = 0;
	r = win_stimulus(fd, &st);
	EXPECT(!r && st.before_ns && win_rd32(fd, EDU_LIVENESS) == ~0x1234u,
	       "a good stimulus on liveness: %s, before_ns %llu, liveness 0x%x", strerror(-r),
	       (unsigned long long)st.before_ns, win_rd32(fd, EDU_LIVENESS));
	ok = true;
out:
	close(fd);
	return ok;
}

/* Registers through a window: identification, liveness (~value), factorial, 1- and 2-byte accesses. */
static bool window_registers(int fd, const char *what)
{
	uint32_t v = 0x600dcafe, fact = ~0u;
	uint16_t h = 0;
	uint8_t b = 0;
	int i;

	CHECK(win_rd32(fd, EDU_ID) == 0x010000ed, "%s: identification 0x%x", what, win_rd32(fd, EDU_ID));
	CHECK(win_wr32(fd, EDU_LIVENESS, v) && win_rd32(fd, EDU_LIVENESS) == ~v, "%s: liveness 0x%x after 0x%x", what,
	      win_rd32(fd, EDU_LIVENESS), v);
	/* edu serves 4-byte accesses only (QEMU answers narrower ones itself): accepted is all that is checked. */
	CHECK(!win_access(fd, false, EDU_ID, 1, &b), "%s: 1-byte read: %s", what, strerror(errno));
	CHECK(!win_access(fd, false, EDU_ID + 2, 2, &h), "%s: 2-byte read: %s", what, strerror(errno));
	printf("# %s: 1-byte read 0x%x, 2-byte read 0x%x (edu answers only 4-byte accesses)\n", what, b, h);
	/* The factorial unit: 5 written, 120 read once it is computed (status bit 0 clear). */
	CHECK(win_wr32(fd, EDU_STATUS, 0) && win_wr32(fd, EDU_FACT, 5), "%s: factorial write: %s", what, strerror(errno));
	for (i = 0; i < 100 && (win_rd32(fd, EDU_STATUS) & 1); i++)
		sleep_ms(1);
	fact = win_rd32(fd, EDU_FACT);
	CHECK(fact == 120, "%s: factorial of 5 read 0x%x", what, fact);
	return true;
}

static bool t_window_no_driver(const struct card *c)
{
	int fd = -1;
	bool ok = false;

	card_silence(c);
	CHECK(unbind_valirq(c) && wait_for_node(c->dev, false), "unbind %s: %s", c->addr, strerror(errno));
	EXPECT(!driver_is(c->addr, "valirq"), "%s still has a driver", c->addr);
	fd = win_on(c->addr, 0);
	EXPECT(fd >= 0, "window on %s (no driver) BAR 0: %s", c->addr, strerror(-fd));
	if (!window_registers(fd, "no driver"))
		goto out;
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (!rebind_valirq(c)) {
		if (ok)
			fail_msg("could not bind %s back to valirq", c->addr);
		ok = false;
	}
	return ok;
}

static bool t_window_uio(const struct card *c)
{
	char path[256];
	uint32_t before = 0, after = 0, status;
	struct valirq_stimulus st = win_raise(0x4242);
	struct pollfd pfd;
	uint64_t t0, t1;
	glob_t g;
	int fd = -1, ufd = -1, r;
	bool ok = false;

	card_silence(c);
	if (access("/sys/bus/pci/drivers/uio_pci_generic", F_OK) && system("modprobe uio_pci_generic") != 0)
		printf("# modprobe uio_pci_generic failed\n");
	CHECK(bind_driver(c, "uio_pci_generic"), "binding %s to uio_pci_generic: %s", c->addr, strerror(errno));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/uio/uio*", c->addr);
	if (!glob(path, 0, NULL, &g)) {
		snprintf(path, sizeof(path), "/dev/%s", strrchr(g.gl_pathv[0], '/') + 1);
		globfree(&g);
		ufd = open(path, O_RDWR | O_CLOEXEC);
	}
	EXPECT(ufd >= 0, "no /dev/uioN for %s", c->addr);
	fd = win_on(c->addr, 0);
	EXPECT(fd >= 0, "window on %s (uio_pci_generic) BAR 0: %s", c->addr, strerror(-fd));
	if (!window_registers(fd, "uio_pci_generic"))
		goto out;
	/* uio's count before; the card quiet and INTx unmasked. */
	win_wr32(fd, EDU_IRQ_ACK, 0xffffffff);
	uio_unmask(c->addr);
	pfd = (struct pollfd){ .fd = ufd, .events = POLLIN };
	while (poll(&pfd, 1, 0) == 1 && read(ufd, &before, 4) == 4)
		;
	if (!before) {
		/* No event yet: the count starts at 0 (a read would block). */
		before = 0;
	}
	t0 = now_ns();
	r = win_stimulus(fd, &st);
	t1 = now_ns();
	EXPECT(!r, "STIMULUS raise: %s", strerror(-r));
	EXPECT(st.before_ns >= t0 && st.before_ns <= t1, "before_ns %llu outside the ioctl [%llu, %llu]",
	       (unsigned long long)st.before_ns, (unsigned long long)t0, (unsigned long long)t1);
	status = win_rd32(fd, EDU_IRQ_STATUS);
	EXPECT(status == 0x4242, "edu interrupt status 0x%x after the raise of 0x4242", status);
	pfd = (struct pollfd){ .fd = ufd, .events = POLLIN };
	EXPECT(poll(&pfd, 1, EVENT_TIMEOUT_MS) == 1 && read(ufd, &after, 4) == 4, "uio: no interrupt within %d ms",
	       EVENT_TIMEOUT_MS);
	EXPECT(after > before, "uio count %u after the raise, %u before", after, before);
	printf("# window stimulus on %s (uio_pci_generic): uio count %u -> %u, raise->read %.1f us\n", c->addr, before,
	       after, (now_ns() - st.before_ns) / 1e3);
	ok = true;
out:
	if (fd >= 0) {
		win_wr32(fd, EDU_IRQ_ACK, 0xffffffff);
		close(fd);
	}
	uio_unmask(c->addr);
	if (ufd >= 0)
		close(ufd);
	if (!bind_driver(c, "valirq")) {
		if (ok)
			fail_msg("could not bind %s back to valirq", c->addr);
		ok = false;
	}
	return ok;
}

/* On valirq's own card (its BARs requested by valirq): the window coexists and its stamp precedes the hard IRQ. */
static bool t_window_valirq_card(const struct card *c)
{
	struct setup s = { .mode = topo_mode(), .program = true };
	struct valirq_event ev;
	int fd = -1, dev = -1, r, i;
	bool ok = false;

	card_silence(c);
	dev = open_enabled(c, &s, NULL);
	CHECK(dev >= 0, "open/enable %s: %s", setup_name(&s), strerror(-dev));
	fd = win_on(c->addr, 0);
	EXPECT(fd >= 0, "window on valirq's %s BAR 0: %s", c->addr, strerror(-fd));
	EXPECT(win_rd32(fd, EDU_ID) == 0x010000ed, "identification 0x%x", win_rd32(fd, EDU_ID));
	for (i = 0; i < 20; i++) {
		struct valirq_stimulus st = win_raise(0x100 | i);

		r = win_stimulus(fd, &st);
		EXPECT(!r, "STIMULUS %d: %s", i, strerror(-r));
		r = wait_event(dev, &ev, EVENT_TIMEOUT_MS);
		EXPECT(!r, "raise %d: no event: %s", i, strerror(-r));
		EXPECT(ev.seq == (uint64_t)i + 1 && ev.status == (0x100u | i) && st.before_ns &&
		       st.before_ns <= ev.hardirq_ns, "raise %d: seq %llu status 0x%x before_ns %llu hardirq_ns %llu", i,
		       (unsigned long long)ev.seq, ev.status, (unsigned long long)st.before_ns,
		       (unsigned long long)ev.hardirq_ns);
		r = handle(dev, &s, c);
		EXPECT(!r, "re-arm: %s", strerror(-r));
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (dev >= 0)
		close(dev);
	return ok;
}

static int compat_main(void)
{
	struct setup s = { .mode = topo_mode(), .program = true };
	struct valirq_program p = edu_program();
	struct valirq_quiesce q = edu_quiesce();
	struct valirq_enable en = { .mode = topo_mode() };
	struct valirq_stimulus st = { .reg = edu_reg(EDU_IRQ_RAISE), .value = 0x33 }, wst;
	struct valirq_init in;
	int win;
	const struct card *c = &cards[0];
	volatile uint32_t *map, *sig;
	struct valirq_info info;
	struct valirq_event ev;
	uint32_t v = 0;
	int fd;

	printf("# compat32: sizeof(long) %zu, sizeof(void *) %zu, card %s, %s\n", sizeof(long), sizeof(void *), c->addr,
	       setup_name(&s));
	COMPAT(sizeof(long) == 4, "not a 32-bit build");
	card_silence(c);
	fd = open(c->dev, O_RDWR);
	COMPAT(fd >= 0, "open %s: %s", c->dev, strerror(errno));
	COMPAT(!ioctl(fd, VALIRQ_IOC_VERSION, &v) && v == VALIRQ_UAPI_VERSION, "VERSION: %s, %u", strerror(errno), v);
	COMPAT(!ioctl(fd, VALIRQ_IOC_INFO, &info), "INFO: %s", strerror(errno));
	COMPAT(info.vendor == 0x1234 && info.device == 0x11e8 && info.bars[0].size == EDU_BAR0_SIZE &&
	       (info.bars[0].flags & VALIRQ_BAR_MMAP), "INFO: %04x:%04x BAR0 %llu flags 0x%x", info.vendor, info.device,
	       (unsigned long long)info.bars[0].size, info.bars[0].flags);
	COMPAT(!ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p), "SET_PROGRAM: %s", strerror(errno));
	COMPAT(!ioctl(fd, VALIRQ_IOC_SET_QUIESCE, &q), "SET_QUIESCE: %s", strerror(errno));
	in = edu_init();
	COMPAT(!ioctl(fd, VALIRQ_IOC_SET_INIT, &in), "SET_INIT: %s", strerror(errno));
	in.init[0].op = VALIRQ_OP_WRITE_STATUS;
	COMPAT(ioctl(fd, VALIRQ_IOC_SET_INIT, &in) == -1 && errno == EINVAL, "a bad init: %s", strerror(errno));
	p.flags = 1u << 1;
	COMPAT(ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p) == -1 && errno == EINVAL, "a bad program: %s", strerror(errno));
	COMPAT(!ioctl(fd, VALIRQ_IOC_ENABLE, &en), "ENABLE %s: %s", mode_name(en.mode), strerror(errno));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0));
	COMPAT(map != MAP_FAILED, "mmap BAR0: %s", strerror(errno));
	map[EDU_LIVENESS / 4] = 0x600df00d;
	COMPAT(bar_rd32(c, EDU_LIVENESS) == ~0x600df00du, "liveness through the mapping: 0x%x", bar_rd32(c, EDU_LIVENESS));
	sig = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0) | VALIRQ_MMAP_SIGBUS);
	COMPAT(sig != MAP_FAILED, "mmap BAR0 with the SIGBUS bit (offset 2^39): %s", strerror(errno));
	COMPAT(!stimulus_ioctl(c, &st) && st.before_ns, "STIMULUS through compat_ioctl (debugfs): %s", strerror(errno));
	COMPAT(!wait_event(fd, &ev, EVENT_TIMEOUT_MS), "no event: %s", strerror(errno));
	COMPAT(ev.seq == 1 && ev.count == 1 && ev.status == 0x33 && ev.hardirq_ns >= st.before_ns &&
	       ev.thread_ns >= ev.hardirq_ns && ev.total == 1, "event: seq %llu count %u status 0x%x hardirq %llu stimulus %llu",
	       (unsigned long long)ev.seq, ev.count, ev.status, (unsigned long long)ev.hardirq_ns,
	       (unsigned long long)st.before_ns);
	COMPAT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	/* The module-level window: VALIRQ_IOC_WINDOW and its STIMULUS through compat_ioctl. */
	win = win_on(c->addr, 0);
	COMPAT(win >= 0, "VALIRQ_IOC_WINDOW through compat_ioctl: %s", strerror(-win));
	COMPAT(win_rd32(win, EDU_ID) == 0x010000ed, "window identification 0x%x", win_rd32(win, EDU_ID));
	wst = win_raise(0x44);
	COMPAT(!win_stimulus(win, &wst) && wst.before_ns, "window STIMULUS through compat_ioctl: %s", strerror(errno));
	COMPAT(!wait_event(fd, &ev, EVENT_TIMEOUT_MS), "no event for the window's stimulus: %s", strerror(errno));
	COMPAT(ev.seq == 2 && ev.status == 0x44 && ev.hardirq_ns >= wst.before_ns, "window event: seq %llu status 0x%x",
	       (unsigned long long)ev.seq, ev.status);
	COMPAT(win_target(win, win_req(c->addr, 0)) == -EBUSY, "window retarget through compat_ioctl: not EBUSY");
	close(win);
	COMPAT(!ioctl(fd, VALIRQ_IOC_ACK), "ACK: %s", strerror(errno));
	COMPAT(!ioctl(fd, VALIRQ_IOC_REVOKE), "REVOKE: %s", strerror(errno));
	COMPAT(!wait_event(fd, &ev, EVENT_TIMEOUT_MS) && (ev.flags & VALIRQ_EV_REVOKED), "REVOKED record: flags 0x%x",
	       ev.flags);
	map[EDU_LIVENESS / 4] = 0x0badf00d;
	COMPAT(bar_rd32(c, EDU_LIVENESS) == ~0x600df00du, "a write after revocation reached the card");
	COMPAT(touch_gets_sigbus(sig, 1), "no SIGBUS through the revoked SIGBUS mapping");
	COMPAT(ioctl(fd, VALIRQ_IOC_ENABLE, &en) == -1 && errno == EPERM, "ENABLE after revoke: %s", strerror(errno));
	COMPAT(ioctl(fd, VALIRQ_IOC_ACK) == -1 && errno == EPERM, "ACK after revoke: %s", strerror(errno));
	close(fd);
	card_silence(c);
	return 0;
}

/* The same tests built with gcc -m32 -static (valirq_test32 beside this program), compat subset. */
static bool t_compat32(void)
{
	char self[512], path[600], elf[5];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd, status;
	pid_t pid;

	CHECK(n > 0, "/proc/self/exe: %s", strerror(errno));
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(path, sizeof(path), "%s/valirq_test32", self);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "%s: %s (make -C kmod selftests builds it with gcc -m32)", path, strerror(errno));
	n = read(fd, elf, sizeof(elf));
	close(fd);
	CHECK(n == 5 && !memcmp(elf, "\177ELF", 4) && elf[4] == 1, "%s is not a 32-bit ELF program", path);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(path, path, "compat", topology, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "fork: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the 32-bit program failed (status 0x%x; see compat32 lines)",
	      status);
	return true;
}

int main(int argc, char **argv)
{
	struct valirq_quiesce q = edu_quiesce(), bad = broken_quiesce();
	const struct card *nb;
	int reps;
	char name[200];
	uint64_t t0 = now_ns();

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "compat")) {
		topology = argv[2];
		find_cards();
		return ncards ? compat_main() : 1;
	}
	topology = argc > 1 ? argv[1] : "";
	reps = argc > 2 ? atoi(argv[2]) : 200;
	only = argc > 3 ? argv[3] : NULL;
	if (reps < 2)
		reps = 2;
	printf("TAP version 13\n");
	find_cards();
	if (!ncards) {
		printf("1..1\nnot ok 1 - no /dev/valirq-* device (is the lab booted with --bind valirq?)\n");
		return 1;
	}
	nb = ncards > 1 ? &cards[1] : NULL;
	printf("# topology %s, %d card(s): %s%s%s\n", topology, ncards, cards[0].addr, nb ? ", " : "", nb ? nb->addr : "");
	test_started = now_ns();
	kmsg_start();

	if (!strcmp(topology, "intel-msix")) {
		/* One 82574L: its own tests (the edu ones below need edu's registers). */
		RUN(t_e1k_info(&cards[0]), "82574L: version 3, INFO msix_vectors 5");
		RUN(t_e1k_validation(&cards[0]), "82574L: EINVAL for MSI-X vectors out of range or none, vectors outside MSI-X, "
		    "enable reserved, unknown program flag, WRITE_STATUS in init/disable, bad init/disable registers");
		snprintf(name, sizeof(name), "82574L MSI-X: 5 vectors, IVAR routes RXQ0/RXQ1/TXQ0/TXQ1/OTHER, %d interrupts "
			 "per cause through ICS, each record on its cause's vector", reps / 10 + 2);
		RUN(t_e1k_msix_vectors(&cards[0], reps / 10 + 2), name);
		RUN(t_e1k_msix_masking(&cards[0]), "82574L MSI-X: a vector that fired stays masked until the re-arm, the "
		    "others interrupt, the re-arm delivers what it held; a vector not enabled delivers nothing");
		RUN(t_e1k_init(&cards[0]), "82574L init: no init -> IMS 0, no interrupt; with init -> IMS set, interrupts");
		RUN(t_e1k_disable(&cards[0]), "82574L disable steps: IMS cleared by DISABLE and by release, the card does "
		    "not interrupt; a revoked opener's disable steps do not run");
		RUN(t_e1k_read_to_clear(&cards[0], VALIRQ_MODE_MSIX, 5), "82574L read-to-clear (MSI-X): status carries the "
		    "cause, ICR reads 0 afterwards, the release does not read it");
		RUN(t_e1k_read_to_clear(&cards[0], VALIRQ_MODE_MSI, 5), "82574L read-to-clear (MSI): status carries the "
		    "cause, ICR reads 0 afterwards, the release does not read it");
		RUN(t_e1k_read_to_clear(&cards[0], VALIRQ_MODE_INTX_EXCLUSIVE, 5), "82574L read-to-clear (INTx): status "
		    "carries the cause, ICR reads 0 afterwards, ENABLE and the release do not read it");
		printf("# %s: %d tests in %.1f s\n", topology, test_no, (now_ns() - t0) / 1e9);
		printf("1..%d\n", test_no);
		return failures ? 1 : 0;
	}
	RUN(t_version_info(&cards[0]), "version and info ioctls");
	RUN(t_second_open_busy(&cards[0]), "a second open gets EBUSY");
	RUN(t_cap_sys_rawio(&cards[0]), "open needs CAP_SYS_RAWIO: root without it gets EPERM");
	RUN(t_bars_reserved(&cards[0]), "BARs reserved (sysfs resource0 mmap refused); debugfs bar0 serves aligned 4-byte "
	    "accesses only, within the BAR");
	t_bad_inputs(&cards[0]);
	RUN(t_bar_end_accepted(&cards[0]), "the BAR's last register of each width (BAR size - width) is accepted");
	RUN(t_revoke(&cards[0]), "revoke: mapping to scratch (writes never reach the card), interrupts shut down, REVOKED "
	    "record; ENABLE/ACK/write/stimulus EPERM; SIGBUS flavour");
	RUN(t_revoke_stops_programs(&cards[0]), "revoke: no ack step runs for an interrupt after it, no quiesce step at release");
	RUN(t_revoke_full_ring(&cards[0]), "revoke with a full ring: the REVOKED record is not lost");
	RUN(t_revoke_debugfs(&cards[0]), "debugfs revoke: the opener revoked from outside; ENXIO with no opener");
	RUN(t_busmaster(&cards[0]), "bus mastering: off unless BUSMASTER or MSI; cleared on disable, revoke and release");
	RUN(t_dma_after_kill(&cards[0]), "no DMA after a kill: edu DMA works with BUSMASTER, a killed driver's transfer "
	    "never reaches memory, bus mastering off");
	RUN(t_release_policies(&cards[0]), "release policies quiesce/reset/quiesce-then-reset: last_release, counters and "
	    "the next opener's flag");
	RUN(t_compat32(), "32-bit compat ioctl path (gcc -m32): version, info, program, init, enable, stimulus event, mmap, "
	    "debugfs window (target, stimulus event, EBUSY), revoke");
	RUN(t_window_untargeted(), "debugfs window: mode 0600; ENXIO for read, write and STIMULUS before VALIRQ_IOC_WINDOW, "
	    "ENOTTY for other commands");
	RUN(t_window_target_einval(&cards[0]), "debugfs window: VALIRQ_IOC_WINDOW EINVAL for reserved set, an absent BAR, "
	    "BAR 6 and 255, an I/O BAR; ENODEV for a function that does not exist; the file still targetable");
	RUN(t_window_busy(&cards[0]), "debugfs window: EBUSY on retargeting the same file, the first target kept");
	RUN(t_window_access_einval(&cards[0]), "debugfs window: EINVAL for widths 3 and 8, misaligned offsets, offsets at "
	    "or beyond the BAR's end; the BAR's last register of each width served");
	RUN(t_window_stimulus_einval(&cards[0]), "debugfs window: STIMULUS EINVAL for another BAR, I/O space, misaligned, "
	    "beyond the BAR, width 3, reserved fields (nothing written); a good one writes");
	RUN(t_window_no_driver(&cards[0]), "debugfs window on a card with no driver: identification, liveness, factorial, "
	    "1- and 2-byte reads");
	RUN(t_window_uio(&cards[0]), "debugfs window on a card bound to uio_pci_generic: registers, and its timestamped "
	    "STIMULUS raises an interrupt uio counts");
	RUN(t_window_valirq_card(&cards[0]), "debugfs window on valirq's own card (BARs requested): coexists, its STIMULUS "
	    "stamp precedes the hard IRQ of each event");

	if (!strcmp(topology, "single-msi")) {
		struct setup prog = { VALIRQ_MODE_MSI, true, 0 }, user = { VALIRQ_MODE_MSI, false, 0 };

		RUN(t_events_in_order(&cards[0], &prog, 2000), "events in order: MSI with IRQ program");
		RUN(t_events_in_order(&cards[0], &user, 500), "events in order: MSI, user acks the card");
		RUN(t_hardirq_context(&cards[0], &prog), "hardirq_ns is taken in hard IRQ context (MSI): counted and stamped "
		    "while a SCHED_FIFO 99 task spins on the IRQ's CPU");
		RUN(t_nonblock_poll_epoll(&cards[0], &prog), "non-blocking read, poll, epoll");
		RUN(t_overrun(&cards[0], &prog), "overrun: a stalled reader loses nothing silently (OVERRUN flag, counts)");
		snprintf(name, sizeof(name), "%d random programs run through real interrupts (MSI and INTx on the card's own "
			 "line): line alive, hardirqs grew", reps * 25);
		RUN(t_fuzz_run(&cards[0], NULL, reps * 25), name);
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (MSI): quiesced, next opener served", reps);
		RUN(t_kill_mid_interrupt(&cards[0], NULL, &prog, &q, reps, true), name);
		RUN(t_unbind_blocked_readers(&cards[0], &prog), "unbind with readers blocked in read() and poll(): ENODEV "
		    "after a GONE record, POLLHUP, within 2 s");
		RUN(t_unbind_mapping(&cards[0]), "unbind with a mapping: touching it after hits a scratch page (SIGBUS flavour: "
		    "SIGBUS), nothing reaches the card");
		RUN(t_unbind_rebind(&cards[0], &prog, 100, false), "100 unbind/rebind cycles under an interrupt flood");
		RUN(t_rmmod_insmod(&cards[0], &prog, 100, false), "100 rmmod/insmod cycles under an interrupt flood");
		RUN(t_ids_param(&cards[0]), "ids= binds by vendor:device; a malformed list is refused");
	} else if (!strcmp(topology, "msi-reset")) {
		/* One card behind a root port: a reset exists (the release policies above take the reset path). */
		struct setup prog = { VALIRQ_MODE_MSI, true, 0 }, intx = { VALIRQ_MODE_INTX_EXCLUSIVE, true, 0 };

		RUN(t_events_in_order(&cards[0], &prog, 500), "events in order: MSI with IRQ program (behind a root port)");
		RUN(t_events_in_order(&cards[0], &intx, 200), "events in order: INTx exclusive with IRQ program (behind a "
		    "root port)");
		RUN(t_hardirq_context(&cards[0], &prog), "hardirq_ns is taken in hard IRQ context (MSI behind a root port)");
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (MSI behind a root port): quiesced, next opener served",
			 reps / 2);
		RUN(t_kill_mid_interrupt(&cards[0], NULL, &prog, &q, reps / 2, true), name);
		RUN(t_next_opener_asserting(&cards[0], &intx), "next opener starts clean: a card left asserting (INTx behind "
		    "a root port) delivers its interrupt to the next opener");
		RUN(t_unbind_blocked_readers(&cards[0], &prog), "unbind with readers blocked in read() and poll(): ENODEV "
		    "after a GONE record, POLLHUP, within 2 s (behind a root port)");
		RUN(t_unbind_rebind(&cards[0], &prog, 20, false), "20 unbind/rebind cycles under an interrupt flood (behind a "
		    "root port)");
	} else if (!strcmp(topology, "single-intx")) {
		struct setup prog = { VALIRQ_MODE_INTX_EXCLUSIVE, true, 0 }, user = { VALIRQ_MODE_INTX_EXCLUSIVE, false, 0 };

		RUN(t_events_in_order(&cards[0], &prog, 1000), "events in order: INTx exclusive with IRQ program");
		RUN(t_events_in_order(&cards[0], &user, 500), "events in order: INTx exclusive, user acks the card");
		RUN(t_hardirq_context(&cards[0], &prog), "hardirq_ns is taken in hard IRQ context (INTx): counted and stamped "
		    "while a SCHED_FIFO 99 task spins on the IRQ's CPU");
		RUN(t_nonblock_poll_epoll(&cards[0], &prog), "non-blocking read, poll, epoll (INTx)");
		RUN(t_overrun(&cards[0], &prog), "overrun on INTx with autorearm (OVERRUN flag, counts)");
		RUN(t_intx_enable_eio(&cards[0]), "INTx guard: ENABLE fails with EIO while the card asserts against its check");
		RUN(t_intx_guard_check(&cards[0], NULL), "INTx guard (exclusive line): an interrupt the check does not "
		    "recognise is counted, flagged MISMATCH and served; line alive");
		RUN(t_intx_autorearm_needs_ack(&cards[0]), "AUTOREARM on INTx without ack steps is refused");
		snprintf(name, sizeof(name), "%d random programs run through real interrupts (INTx exclusive line): line alive, "
			 "hardirqs grew", reps * 10);
		RUN(t_fuzz_run(&cards[0], NULL, reps * 10), name);
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (INTx exclusive, no program)", reps);
		RUN(t_kill_mid_interrupt(&cards[0], NULL, &user, &q, reps, true), name);
		RUN(t_next_opener_asserting(&cards[0], &prog), "next opener starts clean: a card left asserting (INTx "
		    "exclusive, program) delivers its interrupt to the next opener");
		RUN(t_next_opener_asserting(&cards[0], &user), "next opener starts clean: a card left asserting (INTx "
		    "exclusive, no program) delivers its interrupt to the next opener");
		RUN(t_unbind_blocked_readers(&cards[0], &prog), "unbind with readers blocked in read() and poll(): ENODEV "
		    "after a GONE record, POLLHUP, within 2 s (INTx)");
		RUN(t_unbind_mapping(&cards[0]), "unbind with a mapping: touching it after hits a scratch page (SIGBUS flavour: "
		    "SIGBUS), nothing reaches the card (INTx)");
		/*
		 * 20, not the 100 of MSI: under emulation a cycle on the level-triggered line takes about 0.9 s
		 * (MSI: 25-90 ms), so 100 cost three minutes of every selftest; the MSI cycles keep the count.
		 */
		RUN(t_unbind_rebind(&cards[0], &prog, 20, true), "20 unbind/rebind cycles under an interrupt flood (INTx)");
		RUN(t_rmmod_insmod(&cards[0], &prog, 20, true), "20 rmmod/insmod cycles under an interrupt flood (INTx)");
	} else if (!strcmp(topology, "shared-intx")) {
		struct setup prog = { VALIRQ_MODE_INTX_SHARED, true, 0 }, pci23 = { VALIRQ_MODE_INTX_SHARED, false, 0 };

		if (!nb) {
			fail_msg("shared-intx needs two cards, found %d", ncards);
			report(false, "two cards on the shared line");
			nb = &cards[0];
		}
		RUN(t_events_in_order(&cards[0], &prog, 1000), "events in order: INTx shared with IRQ program");
		RUN(t_events_in_order(&cards[0], &pci23, 500), "events in order: INTx shared with PCI 2.3 masking");
		RUN(t_hardirq_context(&cards[0], &prog), "hardirq_ns is taken in hard IRQ context (shared INTx): counted and "
		    "stamped while a SCHED_FIFO 99 task spins on the IRQ's CPU");
		RUN(t_shared_concurrent(10000), "shared line: both cards 10,000 interrupts each, each seen once by its reader");
		RUN(t_uio_neighbour(&cards[0], nb, 1000), "shared line with a uio_pci_generic neighbour: 1000 interrupts per "
		    "masking variant, both drivers lose nothing");
		RUN(t_overrun(&cards[0], &prog), "overrun on the shared line with autorearm (OVERRUN flag, counts)");
		RUN(t_shared_mode_accepted(&cards[0]), "shared mode on a PCI 2.3 card: accepted with PCI 2.3 masking, with and "
		    "without mask steps");
		RUN(t_intx_enable_eio(&cards[0]), "INTx guard: ENABLE fails with EIO while the card asserts against its check "
		    "(shared)");
		RUN(t_intx_guard_check(&cards[0], nb), "INTx guard: a check that disagrees with the asserting card: masked at "
		    "the card, counted, EAGAIN until silent, next record MISMATCH, neighbour unharmed");
		RUN(t_intx_guard_mask_steps(&cards[0], nb), "INTx guard: mask steps that do not silence the card: masked at the "
		    "card, counted, MISMATCH, neighbour unharmed");
		RUN(t_intx_autorearm_needs_ack(&cards[0]), "AUTOREARM on INTx without ack steps is refused (shared)");
		snprintf(name, sizeof(name), "%d random programs run through real interrupts on the shared line: line alive, "
			 "hardirqs grew, the uio_pci_generic neighbour lost nothing", reps * 25);
		RUN(t_fuzz_run(&cards[0], nb, reps * 25), name);
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (shared, program) with the neighbour interrupting", reps / 2);
		RUN(t_kill_mid_interrupt(&cards[0], nb, &prog, &q, reps / 2, true), name);
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (shared, PCI 2.3) with the neighbour interrupting", reps / 2);
		RUN(t_kill_mid_interrupt(&cards[0], nb, &pci23, &q, reps / 2, true), name);
		RUN(t_kill_mid_interrupt(&cards[0], nb, &pci23, &bad, 3, false),
		    "broken quiesce: card left masked at the card and counted, neighbour unharmed");
		RUN(t_next_opener_asserting(&cards[0], &prog), "next opener starts clean: a card left asserting (shared, "
		    "program) delivers its interrupt to the next opener");
		RUN(t_next_opener_asserting(&cards[0], &pci23), "next opener starts clean: a card left asserting (shared, PCI "
		    "2.3) delivers its interrupt to the next opener");
		RUN(t_unbind_blocked_readers(&cards[0], &prog), "unbind with readers blocked in read() and poll(): ENODEV "
		    "after a GONE record, POLLHUP, within 2 s (shared)");
		RUN(t_unbind_mapping(&cards[0]), "unbind with a mapping: touching it after hits a scratch page (SIGBUS flavour: "
		    "SIGBUS), nothing reaches the card (shared)");
	} else {
		fail_msg("unknown topology '%s'", topology);
		report(false, "topology");
	}
	printf("# %s: %d tests in %.1f s\n", topology, test_no, (now_ns() - t0) / 1e9);
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
