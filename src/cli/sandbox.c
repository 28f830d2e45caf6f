/* sandbox.c -- untrusted result files read in a limited child first
 * (sandbox.h says why).  The pipe carries records: 'N' + uint32 length +
 * bytes (a file about to be read), then one 'R' + int status + uint32
 * length + bytes (the result).  A child that dies before its 'R' record,
 * by a signal or an exit of its own (AddressSanitizer exits 1 after a
 * segfault), is a file we refuse. */
#include "cli/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TS_ASAN 1
#endif
#endif

/* The 8-byte signature of HDF5's superblock (HDF5 File Format
 * Specification, §II.A). */
static const unsigned char hdf5_sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

int ts_sandbox_sniff(const char *path, long long *size, ts_err *e)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return TS_ERROR(e, errno == ENOENT || errno == EACCES ? TS_ENOINPUT : TS_EIO,
                        "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char head[8];
    int rc = TS_OK;
    if (fstat(fd, &st) != 0)
        rc = TS_ERROR(e, TS_EIO, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = TS_ERROR(e, TS_EINPUT, "%s: not a readable truthsim result file "
                      "(not a regular file)", path);
    /* The smallest superblock (version 2) with its checksum is 48 bytes; a
     * file with any object in it is several hundred. */
    else if (st.st_size < 48)
        rc = TS_ERROR(e, TS_EINPUT, "%s: not a readable truthsim result file "
                      "(%lld bytes: truncated)", path, (long long)st.st_size);
    else if (pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
             memcmp(head, hdf5_sig, sizeof head))
        rc = TS_ERROR(e, TS_EINPUT, "%s: not a readable truthsim result file "
                      "(no HDF5 signature)", path);
    close(fd);
    if (size)
        *size = rc ? 0 : (long long)st.st_size;
    return rc;
}

unsigned ts_sandbox_timeout(long long bytes)
{
    const char *s = getenv("TRUTHSIM_READ_TIMEOUT");
    if (s && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (!*end && v > 0 && v < 1000000)
            return (unsigned)v;
    }
    long long t = 30 + (bytes > 0 ? bytes / (16LL << 20) : 0);
    return t > 1000000 ? 1000000u : (unsigned)t;
}

unsigned long long ts_sandbox_as_limit(long long bytes)
{
    return (2ULL << 30) + 8ULL * (unsigned long long)(bytes > 0 ? bytes : 0);
}

static void put_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(125); /* the parent is gone or the pipe broke */
        p += w;
        n -= (size_t)w;
    }
}

static void put_record(int fd, char type, const int *status, const char *s)
{
    uint32_t len = (uint32_t)strlen(s);
    put_all(fd, &type, 1);
    if (status)
        put_all(fd, status, sizeof *status);
    put_all(fd, &len, sizeof len);
    put_all(fd, s, len);
}

void ts_sandbox_note(ts_sandbox *sb, const char *file)
{
    if (sb)
        put_record(sb->fd, 'N', NULL, file);
}

static void child(int fd, ts_sandbox_fn fn, void *ctx, unsigned timeout_s,
                  unsigned long long as_bytes)
{
    /* Ctrl-C reaches the whole process group: the child just dies of it. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    /* A crash ends the child by its signal, whatever handler the parent
     * had (a fuzzer's or a sanitizer's would run in a corrupted process). */
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    struct rlimit cpu = {timeout_s, (rlim_t)timeout_s + 1};
    setrlimit(RLIMIT_CPU, &cpu);
#ifndef TS_ASAN
    /* AddressSanitizer reserves terabytes of shadow address space. */
    if (as_bytes) {
        struct rlimit as = {as_bytes, as_bytes};
        setrlimit(RLIMIT_AS, &as);
    }
#else
    (void)as_bytes;
#endif
    /* No core file of a crash inside libhdf5 on a user's disk. */
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    /* Nor glibc's "free(): invalid pointer" and the like: the parent says
     * in one line what happened. */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
    }
    alarm(timeout_s);
    ts_sandbox sb = {fd};
    ts_err ce;
    ts_err_clear(&ce);
    int rc = fn(ctx, &sb, &ce);
    put_record(fd, 'R', &rc, rc ? ce.msg : "");
    _exit(0);
}

/* The parent's side: read records until EOF (the child exited).  Returns
 * 1 when the 'R' record arrived (*rc, msg), 0 otherwise; last gets the
 * last note. */
typedef struct reader {
    char *buf;
    size_t len, cap;
} reader;

static int parse(const reader *r, char *last, size_t lastlen, int *rc,
                 char *msg, size_t msglen)
{
    size_t i = 0;
    while (i < r->len) {
        char type = r->buf[i];
        int st = 0;
        size_t need = 1 + (type == 'R' ? sizeof st : 0);
        uint32_t n;
        if ((type != 'N' && type != 'R') || r->len - i < need + sizeof n)
            return 0;
        if (type == 'R')
            memcpy(&st, r->buf + i + 1, sizeof st);
        memcpy(&n, r->buf + i + need, sizeof n);
        i += need + sizeof n;
        if (r->len - i < n)
            return 0;
        char *dst = type == 'N' ? last : msg;
        size_t cap = type == 'N' ? lastlen : msglen;
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(dst, r->buf + i, k);
        dst[k] = '\0';
        i += n;
        if (type == 'R') {
            *rc = st;
            return 1;
        }
    }
    return 0;
}

static int drain(int fd, pid_t pid, reader *r, volatile sig_atomic_t *stop)
{
    char tmp[4096];
    int killed = 0;
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR) {
            if (stop && *stop && !killed) {
                kill(pid, SIGKILL);
                killed = 1;
            }
            continue;
        }
        if (n <= 0)
            return killed;
        if (r->len + (size_t)n > r->cap) {
            size_t cap = (r->cap ? 2 * r->cap : 8192) + (size_t)n;
            char *b = realloc(r->buf, cap);
            if (!b) {
                kill(pid, SIGKILL);
                continue; /* read on to EOF, then report no result */
            }
            r->buf = b;
            r->cap = cap;
        }
        memcpy(r->buf + r->len, tmp, (size_t)n);
        r->len += (size_t)n;
    }
}

int ts_sandbox_run(const char *what, ts_sandbox_fn fn, void *ctx,
                   unsigned timeout_s, unsigned long long as_bytes,
                   volatile sig_atomic_t *stop, ts_err *e)
{
    int fds[2];
    if (pipe(fds) != 0)
        return TS_ERROR(e, TS_EIO, "%s: cannot create a pipe: %s", what, strerror(errno));
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return TS_ERROR(e, TS_EIO, "%s: cannot fork: %s", what, strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], fn, ctx, timeout_s, as_bytes);
    }
    close(fds[1]);
    reader r = {NULL, 0, 0};
    int killed = drain(fds[0], pid, &r, stop);
    close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    char last[1024], msg[sizeof e->msg];
    snprintf(last, sizeof last, "%s", what);
    int rc = TS_OK;
    int done = parse(&r, last, sizeof last, &rc, msg, sizeof msg);
    free(r.buf);
    int sig = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    if (killed || (stop && *stop) || sig == SIGINT || sig == SIGTERM)
        return TS_ERROR(e, TS_EINTR, "%s: interrupted", what);
    if (done && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return rc ? TS_ERROR(e, rc, "%s", msg) : TS_OK;
    if (sig == SIGALRM || sig == SIGXCPU || sig == SIGKILL)
        return TS_ERROR(e, TS_EINPUT, "%s: not a readable truthsim result file "
                        "(reading took longer than %u s)", last, timeout_s);
    if (sig)
        return TS_ERROR(e, TS_EINPUT, "%s: not a readable truthsim result file "
                        "(the HDF5 library crashed on it: %s)", last, strsignal(sig));
    return TS_ERROR(e, TS_EINPUT, "%s: not a readable truthsim result file (the "
                    "reader stopped without a report, exit status %d)", last,
                    WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
}
