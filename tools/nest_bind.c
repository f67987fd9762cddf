// SPDX-License-Identifier: GPL-2.0
/*
 * Lend PCI devices to vfio-pci and give them back.
 *
 *   nest_bind [--force] run --device BDF [--device BDF]... -- CMD [ARG]...
 *   nest_bind [--force] bind BDF...
 *   nest_bind restore [BDF...]
 *
 * Each device's driver and driver_override are written to a state file
 * (IOMMUFD_NEST_STATE, default /run/iommufd-nest/bound) before anything
 * changes, so "restore" puts back whatever a killed run left.  "run"
 * restores by itself on exit, SIGINT, SIGTERM and SIGHUP.  A device in use
 * (a mounted block device below it, a network interface that is up, the
 * console or boot VGA device) is refused unless --force.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pci_sysfs.h"

#define DEVICES "/sys/bus/pci/devices"
#define MAX_DEVS 16
#define LINE_MAX_LEN 256

static const char *state_path(void)
{
	const char *p = getenv("IOMMUFD_NEST_STATE");

	return p && *p ? p : "/run/iommufd-nest/bound";
}

static int write_attr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void read_attr(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
	if (!strcmp(buf, "(null)"))
		buf[0] = 0;
}

/* ---- in-use checks ---- */

static char mounts[16384];
static const char *busy_why;
static char busy_buf[128];

static int find_mounted_block(const char *path, const struct stat *st,
			      int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	char dev[80];

	if (type != FTW_D || ftw->base < 6 ||
	    strncmp(path + ftw->base - 6, "block/", 6))
		return ftw->level > 8 ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	snprintf(dev, sizeof(dev), "/dev/%s", base);
	if (strstr(mounts, dev)) {
		snprintf(busy_buf, sizeof(busy_buf),
			 "block device %s is mounted or used as swap", dev);
		busy_why = busy_buf;
		return FTW_STOP;
	}
	return FTW_CONTINUE;
}

static void slurp(const char *path, char *buf, size_t len, size_t *used)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return;
	n = fread(buf + *used, 1, len - *used - 1, f);
	*used += n;
	buf[*used] = 0;
	fclose(f);
}

static bool net_up(const char *devdir, char *ifname, size_t len)
{
	char path[PATH_MAX + 300], state[32];
	struct dirent *e;
	DIR *d;
	bool up = false;

	snprintf(path, sizeof(path), "%s/net", devdir);
	d = opendir(path);
	if (!d)
		return false;
	while (!up && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/net/%s/operstate", devdir,
			 e->d_name);
		read_attr(path, state, sizeof(state));
		if (!strcmp(state, "up")) {
			snprintf(ifname, len, "%s", e->d_name);
			up = true;
		}
	}
	closedir(d);
	return up;
}

static bool is_console(const char *real)
{
	char active[256], path[PATH_MAX], dev[PATH_MAX];
	char *tok, *save;

	read_attr("/sys/class/tty/console/active", active, sizeof(active));
	for (tok = strtok_r(active, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "/sys/class/tty/%s/device", tok);
		if (realpath(path, dev) && !strncmp(dev, real, strlen(real)))
			return true;
	}
	return false;
}

/* NULL when the device is free to take, else why it is not. */
static const char *device_busy(const char *bdf)
{
	static char why[160];
	char link[PATH_MAX + 16], real[PATH_MAX], val[16], ifname[NAME_MAX + 1];
	size_t used = 0;

	snprintf(link, sizeof(link), DEVICES "/%s", bdf);
	if (!realpath(link, real))
		return "no such device";
	snprintf(link, sizeof(link), "%s/boot_vga", real);
	read_attr(link, val, sizeof(val));
	if (!strcmp(val, "1"))
		return "it is the boot VGA device (the console)";
	if (is_console(real))
		return "it carries the system console";
	if (net_up(real, ifname, sizeof(ifname))) {
		snprintf(why, sizeof(why), "network interface %s is up",
			 ifname);
		return why;
	}
	slurp("/proc/mounts", mounts, sizeof(mounts), &used);
	slurp("/proc/swaps", mounts, sizeof(mounts), &used);
	busy_why = NULL;
	nftw(real, find_mounted_block, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	return busy_why;
}

/* ---- the state file ---- */

struct saved {
	char bdf[BDF_LEN];
	char driver[64];
	char override[64];
};

static int load_state(struct saved *s, int max)
{
	char line[LINE_MAX_LEN];
	FILE *f = fopen(state_path(), "r");
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *a = strtok(line, "\t\n"), *b, *c;

		b = strtok(NULL, "\t\n");
		c = strtok(NULL, "\t\n");
		if (!a || strlen(a) != BDF_LEN - 1)
			continue;
		snprintf(s[n].bdf, sizeof(s[n].bdf), "%s", a);
		snprintf(s[n].driver, sizeof(s[n].driver), "%s",
			 b && strcmp(b, "-") ? b : "");
		snprintf(s[n].override, sizeof(s[n].override), "%s",
			 c && strcmp(c, "-") ? c : "");
		n++;
	}
	fclose(f);
	return n;
}

static int save_state(const struct saved *s, int n)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	FILE *f;
	int i;

	/* mkdir -p of the state file's directory */
	snprintf(dir, sizeof(dir), "%s", state_path());
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(dir, 0755);
		*slash = '/';
	}
	if (!n)
		return unlink(state_path()) && errno != ENOENT ? -errno : 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path());
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "%s\t%s\t%s\n", s[i].bdf,
			s[i].driver[0] ? s[i].driver : "-",
			s[i].override[0] ? s[i].override : "-");
	if (fclose(f))
		return -errno;
	return rename(tmp, state_path()) ? -errno : 0;
}

/* ---- bind and restore ---- */

static int wait_driver(const char *bdf, const char *want)
{
	struct timespec pause = { .tv_nsec = 10000000 };
	char drv[64];
	int i;

	for (i = 0; i < 300; i++) {
		if (!pci_driver(bdf, drv, sizeof(drv)) && !strcmp(drv, want))
			return 0;
		nanosleep(&pause, NULL);
	}
	return -ETIMEDOUT;
}

static int set_driver(const char *bdf, const char *override, const char *drv)
{
	char path[PATH_MAX], cur[64];
	int rc;

	snprintf(path, sizeof(path), DEVICES "/%s/driver_override", bdf);
	rc = write_attr(path, override[0] ? override : "\n");
	if (rc)
		return rc;
	if (!pci_driver(bdf, cur, sizeof(cur)) && cur[0]) {
		snprintf(path, sizeof(path), DEVICES "/%s/driver/unbind", bdf);
		rc = write_attr(path, bdf);
		if (rc)
			return rc;
	}
	if (!drv[0])
		return 0;
	write_attr("/sys/bus/pci/drivers_probe", bdf);
	return wait_driver(bdf, drv);
}

static int bind_one(const char *arg, bool force)
{
	struct saved s[MAX_DEVS];
	char bdf[BDF_LEN], err[160], path[PATH_MAX];
	const char *why;
	int n, rc;

	if (pci_bdf_parse(arg, bdf, err, sizeof(err))) {
		fprintf(stderr, "error: %s\n", err);
		return -EINVAL;
	}
	why = device_busy(bdf);
	if (why && !strcmp(why, "no such device")) {
		fprintf(stderr, "error: %s: no such PCI device\n", bdf);
		return -ENODEV;
	}
	if (why && !force) {
		fprintf(stderr, "error: %s is in use: %s (use --force to take it anyway)\n",
			bdf, why);
		return -EBUSY;
	}
	n = load_state(s, MAX_DEVS);
	if (n >= MAX_DEVS) {
		fprintf(stderr, "error: more than %d devices lent\n", MAX_DEVS);
		return -ENOSPC;
	}
	memset(&s[n], 0, sizeof(s[n]));
	snprintf(s[n].bdf, sizeof(s[n].bdf), "%s", bdf);
	pci_driver(bdf, s[n].driver, sizeof(s[n].driver));
	if (!strcmp(s[n].driver, "vfio-pci"))
		return 0;	/* someone else's binding: leave it alone */
	snprintf(path, sizeof(path), DEVICES "/%s/driver_override", bdf);
	read_attr(path, s[n].override, sizeof(s[n].override));
	/* record first: a kill from here on is undone by "restore" */
	rc = save_state(s, n + 1);
	if (rc) {
		fprintf(stderr, "error: cannot write %s: %s\n", state_path(),
			strerror(-rc));
		return rc;
	}
	/* a modular vfio-pci may not be loaded yet; set_driver reports it */
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK) &&
	    system("modprobe vfio-pci >/dev/null 2>&1"))
		fprintf(stderr, "warning: modprobe vfio-pci failed\n");
	rc = set_driver(bdf, "vfio-pci", "vfio-pci");
	if (rc)
		fprintf(stderr, "error: %s: binding to vfio-pci failed: %s\n",
			bdf, strerror(-rc));
	return rc;
}

static int restore(char **bdfs, int nr)
{
	struct saved s[MAX_DEVS];
	int n = load_state(s, MAX_DEVS), i, j, kept = 0, rc, ret = 0;
	char bdf[BDF_LEN], err[160];

	for (i = 0; i < n; i++) {
		bool wanted = !nr;

		for (j = 0; j < nr && !wanted; j++)
			wanted = !pci_bdf_parse(bdfs[j], bdf, err, sizeof(err)) &&
				 !strcmp(bdf, s[i].bdf);
		if (!wanted) {
			s[kept++] = s[i];
			continue;
		}
		rc = set_driver(s[i].bdf, s[i].override, s[i].driver);
		if (rc) {
			fprintf(stderr, "error: %s: restoring driver '%s' failed: %s\n",
				s[i].bdf, s[i].driver, strerror(-rc));
			s[kept++] = s[i];
			ret = rc;
			continue;
		}
		fprintf(stderr, "restored %s to %s\n", s[i].bdf,
			s[i].driver[0] ? s[i].driver : "no driver");
	}
	rc = save_state(s, kept);
	return ret ?: rc;
}

/* ---- run: bind, run a command, restore whatever happens ---- */

static pid_t child_pid;
static int stop_signal;

/* Pass a signal on to the command, or, before it runs, keep it from running. */
static void forward(int sig)
{
	pid_t pid = __atomic_load_n(&child_pid, __ATOMIC_SEQ_CST);

	if (pid > 0)
		kill(pid, sig);
	else
		__atomic_store_n(&stop_signal, sig, __ATOMIC_SEQ_CST);
}

/*
 * Start @cmd unless a signal came first.  Signals stay blocked from the
 * check to the child's pid being known, so none falls in between.
 */
static pid_t start_command(char **cmd)
{
	sigset_t block, old;
	pid_t pid = -1;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!__atomic_load_n(&stop_signal, __ATOMIC_SEQ_CST)) {
		pid = fork();
		if (pid == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			execvp(cmd[0], cmd);
			fprintf(stderr, "error: cannot run %s: %s\n", cmd[0],
				strerror(errno));
			_exit(127);
		}
		if (pid < 0)
			fprintf(stderr, "error: cannot fork: %s\n",
				strerror(errno));
		__atomic_store_n(&child_pid, pid, __ATOMIC_SEQ_CST);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

static int lend_and_run(char **bdfs, int nr, char **cmd, bool force)
{
	struct sigaction sa = { .sa_handler = forward };
	int i, status = 0, rc = 0;
	pid_t pid = -1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (i = 0; i < nr && !rc; i++)
		rc = bind_one(bdfs[i], force);
	if (!rc)
		pid = start_command(cmd);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (restore(bdfs, i) && !rc)
		rc = -EIO;
	if (rc)
		return rc == -EINVAL ? 2 : 1;
	if (pid < 0)
		return stop_signal ? 128 + stop_signal : 1;	/* no child */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int print_usage(void)
{
	fprintf(stderr,
		"usage: nest_bind [--force] run --device BDF... -- CMD [ARG]...\n"
		"       nest_bind [--force] bind BDF...\n"
		"       nest_bind restore [BDF...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	char *bdfs[MAX_DEVS];
	bool force = false;
	int i = 1, nr = 0, rc = 0;

	if (i < argc && !strcmp(argv[i], "--force")) {
		force = true;
		i++;
	}
	if (i >= argc)
		return print_usage();
	if (!strcmp(argv[i], "restore"))
		return restore(argv + i + 1, argc - i - 1) ? 1 : 0;
	if (!strcmp(argv[i], "bind")) {
		for (i++; i < argc && !rc; i++)
			rc = bind_one(argv[i], force);
		return rc == -EINVAL ? 2 : !!rc;
	}
	if (strcmp(argv[i], "run"))
		return print_usage();
	for (i++; i < argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--device") || i + 1 >= argc || nr == MAX_DEVS)
			return print_usage();
		bdfs[nr++] = argv[++i];
	}
	if (i + 1 >= argc || !nr)
		return print_usage();
	return lend_and_run(bdfs, nr, argv + i + 1, force);
}
