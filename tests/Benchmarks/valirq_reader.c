// SPDX-License-Identifier: MIT
/*
 * The C reference reader of valirq for the C-vs-C# benchmark: the same loop as the harness's valirq
 * backend (stimulus ioctl on valirq's debugfs hook, poll, read one event, CLOCK_MONOTONIC, ack), on the same card, same CPU and
 * SCHED_FIFO priority, writing the same raw sample format (VALRAW01: timestamp + 4 stages) so one
 * script computes both sides' statistics the same way.
 *
 *   valirq_reader PCI_ADDRESS COUNT RATE_HZ CPU PRIORITY OUT.bin.gz-less-file [IRQ_THREAD_PRIORITY]
 *
 * IRQ_THREAD_PRIORITY (1-99): once the IRQ is requested (at enable), the card's IRQ thread ("irq/N-valirq-...")
 * is set to SCHED_FIFO at that priority for the run and put back after, to compare an IRQ thread below the
 * reader (the default 50 against 80: on PREEMPT_RT the woken reader preempts it inside wake_up and blocks on
 * the wait queue's lock) with one above it.
 *
 * As the harness's run does, it holds /dev/cpu_dma_latency at 0 for the run (where the kernel has it), and it
 * prints the IRQ's effective affinity (which CPU takes the hard IRQ and runs the IRQ thread), which the
 * harness records in results.json (suites[].irq.effectiveAffinity): both sides can be checked alike.
 *
 * Edu card: program check irq status (0x24) != 0, ack by writing it to 0x64, stimulus 1 -> 0x60; MSI.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/valirq.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The pid of the IRQ thread serving valirq's card (its comm "irq/N-valirq-..."), or -1; its IRQ number in *irq. */
static pid_t irq_thread(int *irq)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -1;

	while (d && (e = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "irq/", 4) && strstr(comm, "-valirq")) {
			found = atoi(e->d_name);
			*irq = atoi(comm + 4);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	struct valirq_reg edu = { .bar = 0, .width = 4, .space = VALIRQ_SPACE_MEM };
	struct valirq_program prog = { 0 };
	struct valirq_enable en = { .mode = VALIRQ_MODE_MSI };
	struct sched_param sp;
	struct timespec next;
	char path[128];
	cpu_set_t set;
	int64_t *rec, period;
	long count, i, lost = 0;
	int fd, sfd, cpu, prio, rate, irq_prio = 0, irq_policy = -1;
	struct sched_param irq_was = { 0 };
	pid_t irq_pid = -1;
	int irq = -1, dma;
	int32_t dma_zero = 0;
	FILE *out;

	if (argc != 7 && argc != 8) {
		fprintf(stderr, "usage: %s PCI_ADDRESS COUNT RATE_HZ CPU PRIORITY OUT [IRQ_THREAD_PRIORITY]\n", argv[0]);
		return 2;
	}
	count = atol(argv[2]);
	rate = atoi(argv[3]);
	cpu = atoi(argv[4]);
	prio = atoi(argv[5]);
	if (argc == 8)
		irq_prio = atoi(argv[7]);
	period = rate > 0 ? 1000000000LL / rate : 0;
	rec = calloc((size_t)count * 5, sizeof(*rec));
	if (!rec || mlockall(MCL_CURRENT | MCL_FUTURE))
		return perror("set-up"), 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sp.sched_priority = prio;
	if (sched_setaffinity(0, sizeof(set), &set) || sched_setscheduler(0, SCHED_FIFO, &sp))
		return perror("sched"), 1;

	snprintf(path, sizeof(path), "/dev/valirq-%s", argv[1]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return perror(path), 1;
	/* valirq v2: the stimulus is a test hook of debugfs, not an ioctl of the device. */
	snprintf(path, sizeof(path), "/sys/kernel/debug/valirq/%s/stimulus", argv[1]);
	sfd = open(path, O_RDWR | O_CLOEXEC);
	if (sfd < 0)
		return perror(path), fprintf(stderr, "(is debugfs mounted? mount -t debugfs none /sys/kernel/debug)\n"), 1;
	prog.check.reg = edu;
	prog.check.reg.offset = 0x24;
	prog.check.op = VALIRQ_OP_READ_NE;
	prog.check.mask = 0xffffffff;
	prog.n_ack = 1;
	prog.ack[0].reg = edu;
	prog.ack[0].reg.offset = 0x64;
	prog.ack[0].op = VALIRQ_OP_WRITE_STATUS;
	prog.ack[0].mask = 0xffffffff;
	if (ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &prog) || ioctl(fd, VALIRQ_IOC_ENABLE, &en))
		return perror("program/enable"), 1;
	/* Held until exit, as the harness's ProcessSetup holds it for a run; the kernel drops it when we exit. */
	dma = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
	if (dma < 0 || write(dma, &dma_zero, sizeof(dma_zero)) != sizeof(dma_zero))
		fprintf(stderr, "valirq_reader: /dev/cpu_dma_latency not held: %s\n", strerror(errno));
	irq_pid = irq_thread(&irq);
	if (irq >= 0) {
		char aff[64] = "?";
		FILE *af;

		snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", irq);
		af = fopen(path, "r");
		if (af && fgets(aff, sizeof(aff), af))
			aff[strcspn(aff, "\n")] = 0;
		if (af)
			fclose(af);
		fprintf(stderr, "valirq_reader: IRQ %d, effective affinity %s\n", irq, aff);
	}
	if (irq_prio > 0) {
		struct sched_param isp = { .sched_priority = irq_prio };

		if (irq_pid < 0 || (irq_policy = sched_getscheduler(irq_pid)) < 0 || sched_getparam(irq_pid, &irq_was) ||
		    sched_setscheduler(irq_pid, SCHED_FIFO, &isp))
			return fprintf(stderr, "valirq_reader: cannot set the IRQ thread (pid %d) to FIFO %d\n", irq_pid, irq_prio), 1;
		fprintf(stderr, "valirq_reader: IRQ thread %d at FIFO %d (was %d)\n", irq_pid, irq_prio, irq_was.sched_priority);
	}

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = -100; i < count; i++) {	/* 100 warm-up iterations, as the harness */
		struct valirq_stimulus st = { .reg = edu, .value = 1 };
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct valirq_event ev;
		int64_t user;

		if (period) {
			next.tv_nsec += period;
			while (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
		st.reg.offset = 0x60;
		if (ioctl(sfd, VALIRQ_IOC_STIMULUS, &st))
			return perror("stimulus"), 1;
		if (poll(&pfd, 1, 1000) <= 0 || read(fd, &ev, sizeof(ev)) != sizeof(ev)) {
			lost++;
			ioctl(fd, VALIRQ_IOC_ACK);
			continue;
		}
		user = now_ns();
		ioctl(fd, VALIRQ_IOC_ACK);
		if (i < 0)
			continue;
		rec[i * 5 + 0] = (int64_t)st.before_ns;
		rec[i * 5 + 1] = (int64_t)ev.hardirq_ns - (int64_t)st.before_ns;
		rec[i * 5 + 2] = (int64_t)(ev.thread_ns - ev.hardirq_ns);
		rec[i * 5 + 3] = user - (int64_t)ev.thread_ns;
		rec[i * 5 + 4] = user - (int64_t)st.before_ns;
	}
	if (irq_prio > 0 && irq_pid > 0)
		sched_setscheduler(irq_pid, irq_policy, &irq_was);
	close(fd);
	/* Same layout as the harness's raw files, uncompressed (the script reads both). */
	out = fopen(argv[6], "wb");
	if (!out)
		return perror(argv[6]), 1;
	fwrite("VALRAW01", 1, 8, out);
	{
		int32_t stages = 4;

		fwrite(&stages, sizeof(stages), 1, out);
	}
	fwrite(rec, sizeof(*rec), (size_t)count * 5, out);
	fclose(out);
	fprintf(stderr, "valirq_reader: %ld samples, %ld lost\n", count, lost);
	return lost ? 1 : 0;
}
