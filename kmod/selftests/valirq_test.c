// SPDX-License-Identifier: GPL-2.0
/*
 * valirq selftests, TAP output. Run inside the virtual lab with the edu cards bound to valirq:
 *
 *	./validate vlab --topology shared-intx --bind valirq -- kmod/selftests/valirq_test shared-intx
 *
 * (make -C kmod check does that for every topology.) The topology decides the interrupt mode
 * under test: single-msi -> MSI, single-intx -> INTx exclusive, shared-intx -> INTx shared, with
 * the neighbour card interrupting through the fault tests. Needs VALIRQ_KO (path of valirq.ko)
 * for the rmmod/insmod test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/valirq.h>

#define EDU_LIVENESS	0x04
#define EDU_STATUS	0x20
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EVENT_TIMEOUT_MS 3000

static int test_no;
static const char *only;	/* run only tests whose name contains this */

/* Runs a test unless filtered out; the expression is evaluated only when it runs. */
#define RUN(expr, name) do { if (!only || strstr((name), only)) report((expr), (name)); } while (0)
static int failures;
static char last_error[512];

static void fail_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

#define CHECK(cond, ...) do { if (!(cond)) { fail_msg(__VA_ARGS__); return false; } } while (0)

/* A failed test may leave its valirq file open; close it so that the next test can open the card. */
static void close_stray(void)
{
	char link[64], target[128];
	int fd;

	for (fd = 3; fd < 256; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strncmp(target, "/dev/valirq-", 12))
			close(fd);
	}
}

static void report(bool ok, const char *name)
{
	close_stray();
	test_no++;
	if (ok) {
		printf("ok %d - %s\n", test_no, name);
	} else {
		failures++;
		printf("not ok %d - %s\n# %s\n", test_no, name, last_error);
	}
	fflush(stdout);
	last_error[0] = 0;
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

static long long counter(const struct card *c, const char *name)
{
	char path[256], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/valirq-%s/%s", c->addr, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return atoll(buf);
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

/* BAR0 through sysfs: the harness's own window on the card, independent of valirq. */
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
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

static const char *setup_name(const struct setup *s)
{
	static char buf[80];

	snprintf(buf, sizeof(buf), "%s, %s%s",
		 s->mode == VALIRQ_MODE_MSI ? "MSI" : s->mode == VALIRQ_MODE_INTX_EXCLUSIVE ? "INTx exclusive" : "INTx shared",
		 s->program ? "IRQ program" : (s->mode == VALIRQ_MODE_INTX_SHARED ? "PCI 2.3 masking" : "no program"),
		 s->flags & VALIRQ_ENABLE_AUTOREARM ? ", autorearm" : "");
	return buf;
}

/* Opens a card and enables it; -errno on failure. */
static int open_enabled(const struct card *c, const struct setup *s, const struct valirq_quiesce *q)
{
	struct valirq_program p = edu_program();
	struct valirq_enable en = { .mode = s->mode, .flags = s->flags };
	int fd = open(c->dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if ((s->program && ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p)) ||
	    (q && ioctl(fd, VALIRQ_IOC_SET_QUIESCE, q)) ||
	    ioctl(fd, VALIRQ_IOC_ENABLE, &en)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
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

static uint64_t stimulus(int fd, uint32_t value)
{
	struct valirq_stimulus st = { .reg = edu_reg(EDU_IRQ_RAISE), .value = value };

	if (ioctl(fd, VALIRQ_IOC_STIMULUS, &st))
		return 0;
	return st.before_ns;
}

/* Handle one event as a driver would: ack the card itself when the kernel did not, then re-arm. */
static int handle(int fd, const struct setup *s, volatile uint32_t *bar)
{
	uint32_t one = 1;

	if (!s->program)
		bar[EDU_IRQ_ACK / 4] = bar[EDU_IRQ_STATUS / 4];
	if (s->flags & VALIRQ_ENABLE_AUTOREARM)
		return 0;
	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* Tests ------------------------------------------------------------------------------------ */

static bool t_version_info(const struct card *c)
{
	struct valirq_info info;
	uint32_t v = 0;
	int fd = open(c->dev, O_RDWR);

	CHECK(fd >= 0, "open %s: %s", c->dev, strerror(errno));
	CHECK(!ioctl(fd, VALIRQ_IOC_VERSION, &v) && v == VALIRQ_UAPI_VERSION, "version %u, want %u", v, VALIRQ_UAPI_VERSION);
	CHECK(!ioctl(fd, VALIRQ_IOC_INFO, &info), "INFO: %s", strerror(errno));
	close(fd);
	CHECK(info.vendor == 0x1234 && info.device == 0x11e8, "ids %04x:%04x", info.vendor, info.device);
	CHECK((info.bars[0].flags & VALIRQ_BAR_PRESENT) && !(info.bars[0].flags & VALIRQ_BAR_IO) && info.bars[0].size == 1 << 20,
	      "BAR0 flags %x size %llu", info.bars[0].flags, (unsigned long long)info.bars[0].size);
	CHECK(!(info.bars[1].flags & VALIRQ_BAR_PRESENT), "BAR1 should be absent");
	CHECK(info.msi_capable == 1 && info.irq_pin == 1, "msi %u pin %u", info.msi_capable, info.irq_pin);
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

/* Each class of bad program, one TAP line each. */
static void t_bad_programs(const struct card *c)
{
	static const struct {
		const char *name;
		int field;
	} cases[] = {
		{ "unknown BAR (6)", 0 }, { "absent BAR (1)", 1 }, { "I/O space for a memory BAR", 2 },
		{ "offset+width beyond the BAR", 3 }, { "misaligned offset", 4 }, { "width 3", 5 },
		{ "9 ack steps", 6 }, { "write op as the check", 7 }, { "read op as an ack step", 8 },
		{ "reserved field set", 9 }, { "program flags set", 10 }, { "9 quiesce steps", 11 },
		{ "stimulus beyond the BAR", 12 },
	};
	size_t i;
	bool bad;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct valirq_program p = edu_program();
		struct valirq_quiesce q = edu_quiesce();
		struct valirq_stimulus st = { .reg = edu_reg(0x100000) };
		char name[128];
		int r;

		switch (cases[i].field) {
		case 0: p.ack[0].reg.bar = 6; break;
		case 1: p.check.reg.bar = 1; break;
		case 2: p.check.reg.space = VALIRQ_SPACE_IO; break;
		case 3: p.ack[0].reg.offset = 0xffffe; break;
		case 4: p.check.reg.offset = 0x22; break;
		case 5: p.check.reg.width = 3; break;
		case 6: p.n_ack = 9; break;
		case 7: p.check.op = VALIRQ_OP_WRITE; break;
		case 8: p.ack[0].op = VALIRQ_OP_READ_EQ; break;
		case 9: p.ack[0].reg.reserved = 1; break;
		case 10: p.flags = 1; break;
		case 11: q.n_steps = 9; break;
		}
		errno = 0;
		fd = open(c->dev, O_RDWR);
		if (cases[i].field == 11)
			r = ioctl(fd, VALIRQ_IOC_SET_QUIESCE, &q);
		else if (cases[i].field == 12)
			r = ioctl(fd, VALIRQ_IOC_STIMULUS, &st);
		else
			r = ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p);
		bad = !(r == -1 && errno == EINVAL);
		if (bad)
			fail_msg("ioctl returned %d (%s), want EINVAL", r, strerror(errno));
		close(fd);
		snprintf(name, sizeof(name), "rejects a bad program: %s", cases[i].name);
		report(!bad, name);
	}
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)rnd_state;
}

/* Random programs, mostly near-valid so that validation is reached step by step; never installed while enabled. */
static bool t_fuzz(const struct card *c, const struct setup *s, volatile uint32_t *bar)
{
	int fd = open(c->dev, O_RDWR), i, accepted = 0, fd2;
	struct valirq_event ev;

	CHECK(fd >= 0, "open: %s", strerror(errno));
	for (i = 0; i < 3000; i++) {
		struct valirq_program p = edu_program();
		struct valirq_step *st = &p.ack[rnd() % VALIRQ_MAX_STEPS];
		uint8_t *raw = (uint8_t *)&p;
		int k, r;

		p.n_ack = rnd() % 12;
		p.n_mask = rnd() % 10;
		p.n_unmask = rnd() % 10;
		st->reg.bar = rnd() % 4 ? 0 : rnd() % 8;
		st->reg.width = rnd() % 3 ? 4 : rnd() % 6;
		st->reg.offset = rnd() % 3 ? rnd() % 0x100 : rnd();
		st->op = rnd() % 8;
		for (k = rnd() % 3 ? 0 : rnd() % 4; k > 0; k--)
			raw[rnd() % sizeof(p)] = rnd();
		r = ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &p);
		CHECK(r == 0 || errno == EINVAL, "random program %d: %s", i, strerror(errno));
		accepted += r == 0;
	}
	close(fd);
	/* The card still works afterwards. */
	fd2 = open_enabled(c, s, NULL);
	CHECK(fd2 >= 0, "open after fuzz: %s", strerror(-fd2));
	CHECK(stimulus(fd2, 1) != 0, "stimulus: %s", strerror(errno));
	i = wait_event(fd2, &ev, EVENT_TIMEOUT_MS);
	handle(fd2, s, bar);
	close(fd2);
	CHECK(i == 0, "no event after fuzzing: %s", strerror(-i));
	printf("# fuzz: 3000 random programs, %d accepted, the rest EINVAL\n", accepted);
	return true;
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
static bool t_events_in_order(const struct card *c, const struct setup *s, volatile uint32_t *bar, int n)
{
	uint64_t *raise_hard = calloc(n, 8), *hard_thread = calloc(n, 8), *thread_user = calloc(n, 8);
	long long h0 = counter(c, "hardirqs"), e0 = counter(c, "events");
	int fd = open_enabled(c, s, NULL), i, r;
	bool ok = false;

	CHECK(fd >= 0, "open/enable (%s): %s", setup_name(s), strerror(-fd));
	for (i = 0; i < n; i++) {
		struct valirq_event ev;
		uint32_t value = (uint32_t)i << 8 | 1;
		uint64_t before = stimulus(fd, value), user;

		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		user = now_ns();
		if (r) {
			fail_msg("raise %d: no event: %s", i, strerror(-r));
			goto out;
		}
		if (ev.seq != (uint64_t)i + 1 || ev.count != 1 || ev.total != (uint64_t)i + 1) {
			fail_msg("raise %d: seq %llu count %u total %llu", i, (unsigned long long)ev.seq, ev.count,
				 (unsigned long long)ev.total);
			goto out;
		}
		if (!(before && before <= ev.hardirq_ns && ev.hardirq_ns <= ev.thread_ns && ev.thread_ns <= user)) {
			fail_msg("raise %d: timestamps out of order: stimulus %llu hardirq %llu thread %llu user %llu", i,
				 (unsigned long long)before, (unsigned long long)ev.hardirq_ns,
				 (unsigned long long)ev.thread_ns, (unsigned long long)user);
			goto out;
		}
		if (s->program && ev.status != value) {
			fail_msg("raise %d: status 0x%x, raised 0x%x", i, ev.status, value);
			goto out;
		}
		raise_hard[i] = ev.hardirq_ns - before;
		hard_thread[i] = ev.thread_ns - ev.hardirq_ns;
		thread_user[i] = user - ev.thread_ns;
		r = handle(fd, s, bar);
		if (r) {
			fail_msg("raise %d: re-arm: %s", i, strerror(-r));
			goto out;
		}
	}
	if (counter(c, "hardirqs") - h0 != n || counter(c, "events") - e0 != n) {
		fail_msg("sysfs: hardirqs +%lld events +%lld, want +%d", counter(c, "hardirqs") - h0,
			 counter(c, "events") - e0, n);
		goto out;
	}
	printf("# %s: %d raises, %d events in order\n", setup_name(s), n, n);
	print_dist("raise->hardirq", raise_hard, n);
	print_dist("hardirq->thread", hard_thread, n);
	print_dist("thread->user", thread_user, n);
	for (i = 0; i < n; i++)
		hard_thread[i] += thread_user[i];
	print_dist("hardirq->user", hard_thread, n);
	ok = true;
out:
	close(fd);
	free(raise_hard);
	free(hard_thread);
	free(thread_user);
	return ok;
}

static bool t_nonblock_poll_epoll(const struct card *c, const struct setup *s, volatile uint32_t *bar)
{
	struct epoll_event eev = { .events = EPOLLIN }, out;
	struct valirq_event ev;
	struct pollfd pfd;
	int fd = open_enabled(c, s, NULL), ep, n;
	bool ok = false;

	CHECK(fd >= 0, "open: %s", strerror(-fd));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (read(fd, &ev, sizeof(ev)) != -1 || errno != EAGAIN) {
		fail_msg("non-blocking read with nothing queued: want EAGAIN");
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0) {
		fail_msg("poll with nothing queued reported ready");
		goto out;
	}
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &eev);
	stimulus(fd, 1);
	n = epoll_wait(ep, &out, 1, EVENT_TIMEOUT_MS);
	close(ep);
	if (n != 1 || !(out.events & EPOLLIN)) {
		fail_msg("epoll_wait after a raise: %d", n);
		goto out;
	}
	if (read(fd, &ev, 3) != -1 || errno != EINVAL) {
		fail_msg("read into a buffer smaller than a record: want EINVAL");
		goto out;
	}
	if (read(fd, &ev, sizeof(ev)) != sizeof(ev)) {
		fail_msg("non-blocking read after epoll: %s", strerror(errno));
		goto out;
	}
	handle(fd, s, bar);
	ok = true;
out:
	close(fd);
	return ok;
}

/* A reader that stops reading: every record is either read or counted as an overrun. */
static bool t_overrun(const struct card *c, const struct setup *s0)
{
	struct setup s = { .mode = s0->mode, .program = true, .flags = VALIRQ_ENABLE_AUTOREARM };
	const int n = 2 * VALIRQ_RING_SIZE + 100;
	long long o0 = counter(c, "overruns"), h0 = counter(c, "hardirqs");
	struct valirq_event ev[64];
	uint64_t read_records = 0, overruns = 0, last_seq = 0, last_total = 0;
	bool flagged = false;
	int fd = open_enabled(c, &s, NULL), i;

	CHECK(fd >= 0, "open (%s): %s", setup_name(&s), strerror(-fd));
	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		stimulus(fd, 1);
		/* One interrupt per raise: wait until the kernel has seen it. */
		while (counter(c, "hardirqs") - h0 < i + 1 && now_ns() - t0 < 2000000000ull)
			;
	}
	usleep(200000);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t got = read(fd, ev, sizeof(ev));
		int k;

		if (got <= 0)
			break;
		for (k = 0; k < got / (ssize_t)sizeof(ev[0]); k++) {
			read_records++;
			overruns += ev[k].overruns;
			flagged |= !!(ev[k].flags & VALIRQ_EV_OVERRUN);
			last_seq = ev[k].seq;
			last_total = ev[k].total;
		}
	}
	CHECK(counter(c, "hardirqs") - h0 == n, "hardirqs +%lld, want %d", counter(c, "hardirqs") - h0, n);
	CHECK(read_records == VALIRQ_RING_SIZE, "read %llu records, want a full ring (%d)",
	      (unsigned long long)read_records, VALIRQ_RING_SIZE);
	CHECK(overruns == 0 && last_seq == read_records, "the first %d records should arrive intact", VALIRQ_RING_SIZE);
	/* The ring is drained: the next record reports every record dropped meanwhile. */
	fcntl(fd, F_SETFL, 0);
	stimulus(fd, 1);
	i = wait_event(fd, ev, EVENT_TIMEOUT_MS);
	close(fd);
	CHECK(i == 0, "no record after draining: %s", strerror(-i));
	CHECK(ev[0].flags & VALIRQ_EV_OVERRUN, "the record after the drops lacks VALIRQ_EV_OVERRUN");
	CHECK(ev[0].seq - 1 == read_records + ev[0].overruns, "seq %llu: %llu read + %u dropped do not account for every record",
	      (unsigned long long)ev[0].seq, (unsigned long long)read_records, ev[0].overruns);
	CHECK(ev[0].total == (uint64_t)n + 1, "total %llu, want %d interrupts", (unsigned long long)ev[0].total, n + 1);
	CHECK(counter(c, "overruns") - o0 == ev[0].overruns, "sysfs overruns +%lld, record says %u",
	      counter(c, "overruns") - o0, ev[0].overruns);
	printf("# overrun: %d interrupts in %llu records: %llu read, %u dropped and reported (flag, count, sysfs)\n", n,
	       (unsigned long long)ev[0].seq - 1, (unsigned long long)read_records, ev[0].overruns);
	(void)last_total;
	(void)flagged;
	return true;
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

static bool t_revoke(const struct card *c)
{
	volatile uint32_t *card = resource0(c), *map;
	struct valirq_event ev;
	long long r0 = counter(c, "revocations");
	void *p;
	int fd = open(c->dev, O_RDWR);

	CHECK(card && fd >= 0, "open/resource0: %s", strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0));
	CHECK(p != MAP_FAILED, "mmap BAR0: %s", strerror(errno));
	map = p;
	map[EDU_LIVENESS / 4] = 0x12345678;
	CHECK(map[EDU_LIVENESS / 4] == ~0x12345678u, "liveness through the mapping: 0x%x", map[EDU_LIVENESS / 4]);
	CHECK(!ioctl(fd, VALIRQ_IOC_REVOKE), "REVOKE: %s", strerror(errno));
	map[EDU_LIVENESS / 4] = 0x0badf00d;	/* lands in the scratch page */
	CHECK(card[EDU_LIVENESS / 4] == ~0x12345678u, "a write after revocation reached the card: liveness 0x%x",
	      card[EDU_LIVENESS / 4]);
	CHECK(map[EDU_LIVENESS / 4] == 0x0badf00d, "revoked mapping should read the scratch page");
	CHECK(counter(c, "revocations") - r0 == 1, "sysfs revocations +%lld", counter(c, "revocations") - r0);
	CHECK(read(fd, &ev, sizeof(ev)) == sizeof(ev) && (ev.flags & VALIRQ_EV_REVOKED), "no REVOKED record");
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0)) == MAP_FAILED && errno == EPERM,
	      "mmap after revocation should fail with EPERM");
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, VALIRQ_MMAP_OFFSET(0)) == MAP_FAILED, "MAP_PRIVATE accepted");
	munmap(p, 4096);
	close(fd);

	/* SIGBUS flavour, chosen at mmap time. */
	fd = open(c->dev, O_RDWR);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0) | VALIRQ_MMAP_SIGBUS);
	CHECK(p != MAP_FAILED, "mmap BAR0 (SIGBUS): %s", strerror(errno));
	map = p;
	map[EDU_LIVENESS / 4] = 0x11111111;
	ioctl(fd, VALIRQ_IOC_REVOKE);
	signal(SIGBUS, on_sigbus);
	if (!sigsetjmp(sigbus_jmp, 1)) {
		map[EDU_LIVENESS / 4] = 0x22222222;
		signal(SIGBUS, SIG_DFL);
		fail_msg("no SIGBUS after revocation");
		return false;
	}
	signal(SIGBUS, SIG_DFL);
	munmap(p, 4096);
	close(fd);
	CHECK(card[EDU_LIVENESS / 4] == ~0x11111111u, "the card saw a write after revocation (SIGBUS mapping)");
	return true;
}

/* sysfs revoke: a fault injector from outside the driver; refused when nobody has the device open. */
static bool t_revoke_sysfs(const struct card *c)
{
	volatile uint32_t *card = resource0(c), *map;
	struct valirq_event ev;
	long long r0 = counter(c, "revocations");
	char path[256];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/misc/valirq-%s/revoke", c->addr);
	CHECK(!write_file(path, "1") && errno == ENXIO, "revoke with no opener: want ENXIO, got %s", strerror(errno));
	fd = open(c->dev, O_RDWR);
	CHECK(card && fd >= 0, "open/resource0: %s", strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VALIRQ_MMAP_OFFSET(0));
	CHECK(p != MAP_FAILED, "mmap BAR0: %s", strerror(errno));
	map = p;
	map[EDU_LIVENESS / 4] = 0x13572468;
	CHECK(write_file(path, "0"), "writing 0 to revoke: %s", strerror(errno));
	map[EDU_LIVENESS / 4] = 0x24681357;
	CHECK(card[EDU_LIVENESS / 4] == ~0x24681357u, "revoke=0 should leave the mapping alone");
	CHECK(write_file(path, "1"), "writing 1 to revoke: %s", strerror(errno));
	map[EDU_LIVENESS / 4] = 0x0badf00d;	/* lands in the scratch page */
	CHECK(card[EDU_LIVENESS / 4] == ~0x24681357u, "a write after the sysfs revoke reached the card: liveness 0x%x",
	      card[EDU_LIVENESS / 4]);
	CHECK(counter(c, "revocations") - r0 == 1, "sysfs revocations +%lld", counter(c, "revocations") - r0);
	CHECK(read(fd, &ev, sizeof(ev)) == sizeof(ev) && (ev.flags & VALIRQ_EV_REVOKED), "no REVOKED record");
	munmap(p, 4096);
	close(fd);
	return true;
}

/* The neighbour on a shared line: its own driver, interrupting all along. */
struct neighbour {
	const struct card *card;
	volatile bool stop;
	long raised, handled, missed;
	int error;
};

static void *neighbour_run(void *arg)
{
	struct neighbour *nb = arg;
	struct setup s = { .mode = VALIRQ_MODE_INTX_SHARED, .program = true };
	int fd = open_enabled(nb->card, &s, NULL);

	if (fd < 0) {
		nb->error = -fd;
		return NULL;
	}
	while (!nb->stop) {
		struct valirq_event ev;

		stimulus(fd, 1);
		nb->raised++;
		if (wait_event(fd, &ev, EVENT_TIMEOUT_MS) == 0) {
			nb->handled++;
			handle(fd, &s, NULL);
		} else {
			nb->missed++;
		}
		usleep(500);
	}
	close(fd);
	return NULL;
}

/*
 * A driver gets an event and is SIGKILLed before acknowledging it; repeated. Afterwards the
 * quiesce ran, the card is not left masked, the neighbour never missed an interrupt, and a new
 * opener gets the next interrupt.
 */
static bool t_kill_mid_interrupt(const struct card *c, const struct card *nbcard, const struct setup *s,
				 const struct valirq_quiesce *q, int reps, bool expect_clean)
{
	volatile uint32_t *card = resource0(c);
	long long q0 = counter(c, "quiesces"), f0 = counter(c, "quiesce_failures");
	struct neighbour nb = { .card = nbcard };
	pthread_t th;
	int i;

	CHECK(card, "resource0: %s", strerror(errno));
	if (nbcard)
		pthread_create(&th, NULL, neighbour_run, &nb);
	for (i = 0; i < reps; i++) {
		int ready[2], status;
		char buf;
		pid_t pid;

		if (pipe(ready))
			return false;
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
		card[EDU_IRQ_RAISE / 4] = 1;
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
	if (expect_clean) {
		struct valirq_event ev;
		int fd = open_enabled(c, s, NULL), r;

		if (fd < 0) {
			fail_msg("new opener: %s", strerror(-fd));
			goto fail;
		}
		stimulus(fd, 1);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		handle(fd, s, card);
		close(fd);
		if (r) {
			fail_msg("a new opener got no interrupt after %d kills: %s", reps, strerror(-r));
			goto fail;
		}
		if (!(ev.flags & VALIRQ_EV_QUIESCED)) {
			fail_msg("the new opener's first record lacks VALIRQ_EV_QUIESCED");
			goto fail;
		}
	}
	if (nbcard) {
		nb.stop = true;
		pthread_join(th, NULL);
		if (nb.error || nb.missed || nb.handled != nb.raised) {
			fail_msg("neighbour: raised %ld handled %ld missed %ld error %s", nb.raised, nb.handled,
				 nb.missed, strerror(nb.error));
			return false;
		}
		printf("# neighbour %s: %ld raised, %ld handled during the kills\n", nbcard->addr, nb.raised, nb.handled);
	}
	CHECK(counter(c, "quiesces") - q0 == reps, "quiesces +%lld, want %d", counter(c, "quiesces") - q0, reps);
	if (expect_clean) {
		CHECK(counter(c, "quiesce_failures") == f0, "quiesce failures +%lld", counter(c, "quiesce_failures") - f0);
		CHECK(counter(c, "intx_disabled") == 0, "INTx left disabled at the card");
	} else {
		CHECK(counter(c, "quiesce_failures") - f0 == reps, "quiesce failures +%lld, want %d",
		      counter(c, "quiesce_failures") - f0, reps);
		CHECK(counter(c, "intx_disabled") == 1, "a card still interrupting should be left masked at the card");
		/* Clean up as a lab would: ack at the card; the next enable unmasks. */
		card[EDU_IRQ_ACK / 4] = 0xffffffff;
	}
	printf("# kill mid-interrupt (%s): %d kills, quiesces +%lld, failures +%lld\n", setup_name(s), reps,
	       counter(c, "quiesces") - q0, counter(c, "quiesce_failures") - f0);
	return true;
fail:
	if (nbcard) {
		nb.stop = true;
		pthread_join(th, NULL);
	}
	return false;
}

/* Both cards on the shared line interrupting at once, each through its own reader. */
struct hammer {
	const struct card *card;
	int n, error, bad;
	long long h0, h1;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	struct setup s = { .mode = VALIRQ_MODE_INTX_SHARED, .program = true };
	int fd = open_enabled(h->card, &s, NULL), i;

	h->h0 = counter(h->card, "hardirqs");
	if (fd < 0) {
		h->error = -fd;
		return NULL;
	}
	for (i = 0; i < h->n; i++) {
		struct valirq_event ev;
		int r;

		stimulus(fd, 1);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		if (r) {
			h->error = -r;
			break;
		}
		if (ev.count != 1 || ev.seq != (uint64_t)i + 1)
			h->bad++;
		handle(fd, &s, NULL);
	}
	close(fd);
	h->h1 = counter(h->card, "hardirqs");
	return NULL;
}

static bool t_shared_concurrent(int n)
{
	struct hammer h[2] = { { .card = &cards[0], .n = n }, { .card = &cards[1], .n = n } };
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

/* A thread raising the card through sysfs BAR0 as fast as it can, with no regard for drivers. */
/*
 * On INTx the flood pauses just before the handler goes away (unhandled_pause): QEMU's IO-APIC
 * latches a masked, deactivated (edge-mode) pin's assertion as a stale IRR and, once the pin is
 * level again, re-delivers it forever while the card's status reads 0, so the kernel disables the
 * line ("nobody cared"). A real IO-APIC samples the pin. On MSI the flood never pauses.
 */
struct flood {
	volatile uint32_t *card;
	volatile bool stop, paused;
	long raised;
};

static void *flood_run(void *arg)
{
	struct flood *f = arg;

	while (!f->stop) {
		if (!f->paused) {
			f->card[EDU_IRQ_RAISE / 4] = 1;
			f->raised++;
		}
		usleep(50);
	}
	return NULL;
}

static void flood_pause(struct flood *f, bool pause)
{
	if (pause) {
		f->paused = true;
		usleep(1000);
		f->card[EDU_IRQ_ACK / 4] = 0xffffffff;
	} else {
		f->paused = false;
	}
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

static bool t_unbind_rebind(const struct card *c, const struct setup *s, int cycles, bool unhandled_pause)
{
	struct flood f = { .card = resource0(c) };
	char path[128];
	pthread_t th;
	int i, enodev = 0;
	bool ok = false;

	CHECK(f.card, "resource0: %s", strerror(errno));
	pthread_create(&th, NULL, flood_run, &f);
	for (i = 0; i < cycles; i++) {
		struct valirq_event ev;
		int fd = open_enabled(c, s, NULL), r;

		if (fd < 0) {
			fail_msg("cycle %d: open: %s", i, strerror(-fd));
			goto out;
		}
		flood_pause(&f, false);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		if (r) {
			fail_msg("cycle %d: no interrupt before unbind: %s", i, strerror(-r));
			close(fd);
			goto out;
		}
		/* Unbind with the file open, the IRQ live and an event delivered but not acknowledged. */
		if (unhandled_pause)
			flood_pause(&f, true);
		if (!write_file("/sys/bus/pci/drivers/valirq/unbind", c->addr)) {
			fail_msg("cycle %d: unbind: %s", i, strerror(errno));
			close(fd);
			goto out;
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		while ((r = read(fd, &ev, sizeof(ev))) > 0)
			;
		enodev += r < 0 && errno == ENODEV;
		close(fd);
		if (!write_file("/sys/bus/pci/drivers_probe", c->addr) || !wait_for_node(c->dev, true)) {
			fail_msg("cycle %d: rebind failed", i);
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s", c->dev);
	CHECK(enodev == cycles, "reads after unbind: %d of %d returned ENODEV", enodev, cycles);
	ok = true;
out:
	f.stop = true;
	pthread_join(th, NULL);
	f.card[EDU_IRQ_ACK / 4] = 0xffffffff;
	if (ok)
		printf("# unbind/rebind: %d cycles under a flood of %ld raises%s\n", cycles, f.raised,
		       unhandled_pause ? " (paused while no handler is installed)" : "");
	return ok;
}

static bool t_rmmod_insmod(const struct card *c, const struct setup *s, int cycles, bool unhandled_pause)
{
	const char *ko = getenv("VALIRQ_KO");
	struct flood f = { .card = resource0(c) };
	pthread_t th;
	int i, fd, kofd;
	bool ok = false;

	CHECK(ko && *ko, "VALIRQ_KO is not set");
	CHECK(f.card, "resource0: %s", strerror(errno));
	fd = open_enabled(c, s, NULL);
	CHECK(fd >= 0, "open: %s", strerror(-fd));
	i = syscall(SYS_delete_module, "valirq", O_NONBLOCK);
	close(fd);
	CHECK(i == -1 && (errno == EWOULDBLOCK || errno == EBUSY), "rmmod with a file open: %s, want EBUSY/EWOULDBLOCK",
	      i == 0 ? "succeeded" : strerror(errno));
	if (i == 0)
		return false;

	f.paused = unhandled_pause;
	pthread_create(&th, NULL, flood_run, &f);
	for (i = 0; i < cycles; i++) {
		struct valirq_event ev;
		int r;

		if (syscall(SYS_delete_module, "valirq", O_NONBLOCK)) {
			fail_msg("cycle %d: rmmod: %s", i, strerror(errno));
			goto out;
		}
		kofd = open(ko, O_RDONLY | O_CLOEXEC);
		r = kofd < 0 ? -1 : (int)syscall(SYS_finit_module, kofd, "", 0);
		if (kofd >= 0)
			close(kofd);
		if (r) {
			fail_msg("cycle %d: insmod %s: %s", i, ko, strerror(errno));
			goto out;
		}
		if (!wait_for_node(c->dev, true)) {
			fail_msg("cycle %d: %s did not come back", i, c->dev);
			goto out;
		}
		fd = open_enabled(c, s, NULL);
		if (fd < 0) {
			fail_msg("cycle %d: open: %s", i, strerror(-fd));
			goto out;
		}
		flood_pause(&f, false);
		r = wait_event(fd, &ev, EVENT_TIMEOUT_MS);
		if (unhandled_pause)
			flood_pause(&f, true);
		close(fd);
		if (r) {
			fail_msg("cycle %d: no interrupt after reload: %s", i, strerror(-r));
			goto out;
		}
	}
	ok = true;
out:
	f.stop = true;
	pthread_join(th, NULL);
	f.card[EDU_IRQ_ACK / 4] = 0xffffffff;
	if (ok)
		printf("# rmmod/insmod: %d cycles under a flood of %ld raises%s\n", cycles, f.raised,
		       unhandled_pause ? " (paused while no handler is installed)" : "");
	return ok;
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

/* ids=vendor:device binds without driver_override; a malformed list is refused. */
static bool t_ids_param(const struct card *c)
{
	const char *ko = getenv("VALIRQ_KO");
	char override[256], link[256], target[256];
	ssize_t n;
	int r;

	CHECK(ko && *ko, "VALIRQ_KO is not set");
	snprintf(override, sizeof(override), "/sys/bus/pci/devices/%s/driver_override", c->addr);
	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver", c->addr);
	CHECK(!syscall(SYS_delete_module, "valirq", O_NONBLOCK), "rmmod: %s", strerror(errno));
	r = load_module(ko, "ids=12z4");
	CHECK(r == -EINVAL, "insmod ids=12z4: %s, want EINVAL", r ? strerror(-r) : "accepted");
	CHECK(write_file(override, "\n"), "clearing driver_override: %s", strerror(errno));
	r = load_module(ko, "ids=1234:11e8");
	CHECK(r == 0, "insmod ids=1234:11e8: %s", strerror(-r));
	CHECK(wait_for_node(c->dev, true), "%s did not appear with ids=", c->dev);
	n = readlink(link, target, sizeof(target) - 1);
	CHECK(n > 0, "no driver bound");
	target[n] = 0;
	CHECK(strstr(target, "/valirq"), "bound to %s", target);
	/* Back to the lab's way of binding. */
	write_file(override, "valirq");
	CHECK(!syscall(SYS_delete_module, "valirq", O_NONBLOCK), "rmmod: %s", strerror(errno));
	r = load_module(ko, "");
	CHECK(r == 0 && wait_for_node(c->dev, true), "reload: %s", strerror(-r));
	return true;
}

int main(int argc, char **argv)
{
	const char *topology = argc > 1 ? argv[1] : "";
	int reps = argc > 2 ? atoi(argv[2]) : 200;

	only = argc > 3 ? argv[3] : NULL;
	struct valirq_quiesce q = edu_quiesce(), bad = broken_quiesce();
	volatile uint32_t *bar;
	char name[160];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	find_cards();
	if (!ncards) {
		printf("1..1\nnot ok 1 - no /dev/valirq-* device (is the lab booted with --bind valirq?)\n");
		return 1;
	}
	bar = resource0(&cards[0]);
	printf("# topology %s, %d card(s): %s%s%s\n", topology, ncards, cards[0].addr, ncards > 1 ? ", " : "",
	       ncards > 1 ? cards[1].addr : "");

	RUN(t_version_info(&cards[0]), "version and info ioctls");
	RUN(t_second_open_busy(&cards[0]), "a second open gets EBUSY");
	if (!only || strstr("rejects a bad program", only))
		t_bad_programs(&cards[0]);
	RUN(t_revoke(&cards[0]), "revoke: writes after revocation do not reach the card; SIGBUS flavour");
	RUN(t_revoke_sysfs(&cards[0]), "sysfs revoke: the opener's mapping revoked from outside; ENXIO with no opener");

	if (!strcmp(topology, "single-msi")) {
		struct setup prog = { VALIRQ_MODE_MSI, true, 0 }, user = { VALIRQ_MODE_MSI, false, 0 };

		RUN(t_events_in_order(&cards[0], &prog, bar, 2000), "events in order: MSI with IRQ program");
		RUN(t_events_in_order(&cards[0], &user, bar, 500), "events in order: MSI, user acks the card");
		RUN(t_nonblock_poll_epoll(&cards[0], &prog, bar), "non-blocking read, poll, epoll");
		RUN(t_fuzz(&cards[0], &prog, bar), "3000 random programs: EINVAL or accepted, card still works");
		RUN(t_overrun(&cards[0], &prog), "overrun: a stalled reader loses nothing silently");
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (MSI): quiesced, next opener served", reps);
		RUN(t_kill_mid_interrupt(&cards[0], NULL, &prog, &q, reps, true), name);
		RUN(t_unbind_rebind(&cards[0], &prog, 100, false), "100 unbind/rebind cycles under an interrupt flood");
		RUN(t_rmmod_insmod(&cards[0], &prog, 100, false), "100 rmmod/insmod cycles under an interrupt flood");
		RUN(t_ids_param(&cards[0]), "ids= binds by vendor:device; a malformed list is refused");
	} else if (!strcmp(topology, "single-intx")) {
		struct setup prog = { VALIRQ_MODE_INTX_EXCLUSIVE, true, 0 }, user = { VALIRQ_MODE_INTX_EXCLUSIVE, false, 0 };

		RUN(t_events_in_order(&cards[0], &prog, bar, 1000), "events in order: INTx exclusive with IRQ program");
		RUN(t_events_in_order(&cards[0], &user, bar, 500), "events in order: INTx exclusive, user acks the card");
		RUN(t_nonblock_poll_epoll(&cards[0], &prog, bar), "non-blocking read, poll, epoll (INTx)");
		RUN(t_overrun(&cards[0], &prog), "overrun on INTx with autorearm");
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (INTx exclusive, no program)", reps);
		RUN(t_kill_mid_interrupt(&cards[0], NULL, &user, &q, reps, true), name);
		RUN(t_unbind_rebind(&cards[0], &prog, 100, true), "100 unbind/rebind cycles under an interrupt flood (INTx)");
		RUN(t_rmmod_insmod(&cards[0], &prog, 100, true), "100 rmmod/insmod cycles under an interrupt flood (INTx)");
	} else if (!strcmp(topology, "shared-intx")) {
		struct setup prog = { VALIRQ_MODE_INTX_SHARED, true, 0 }, pci23 = { VALIRQ_MODE_INTX_SHARED, false, 0 };

		if (ncards < 2) {
			fail_msg("shared-intx needs two cards, found %d", ncards);
			report(false, "two cards on the shared line");
		}
		RUN(t_events_in_order(&cards[0], &prog, bar, 1000), "events in order: INTx shared with IRQ program");
		RUN(t_events_in_order(&cards[0], &pci23, bar, 500), "events in order: INTx shared with PCI 2.3 masking");
		RUN(t_shared_concurrent(10000), "shared line: both cards 10,000 interrupts each, each seen once by its reader");
		RUN(t_overrun(&cards[0], &prog), "overrun on the shared line with autorearm");
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (shared, program) with the neighbour interrupting", reps / 2);
		RUN(t_kill_mid_interrupt(&cards[0], &cards[1], &prog, &q, reps / 2, true), name);
		snprintf(name, sizeof(name), "kill mid-interrupt x%d (shared, PCI 2.3) with the neighbour interrupting", reps / 2);
		RUN(t_kill_mid_interrupt(&cards[0], &cards[1], &pci23, &q, reps / 2, true), name);
		report(t_kill_mid_interrupt(&cards[0], &cards[1], &pci23, &bad, 3, false),
		       "broken quiesce: card left masked at the card and counted, neighbour unharmed");
		RUN(t_events_in_order(&cards[0], &pci23, bar, 100), "after a broken quiesce the next opener starts clean");
	} else {
		fail_msg("unknown topology '%s'", topology);
		report(false, "topology");
	}
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
