/* outfile.c -- see outfile.h. */
#include "base/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 64 unpredictable bits: the kernel's, or (no /dev/urandom) the clock's
 * mixed with the pid and an address.  O_EXCL, not the name, is what makes
 * the creation safe; the name only keeps others from guessing it. */
static uint64_t random_bits(const void *salt, unsigned attempt)
{
    uint64_t x = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &x, sizeof x) != (ssize_t)sizeof x)
            x = 0;
        close(fd);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    x ^= (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec;
    x ^= (uint64_t)(uintptr_t)salt ^ ((uint64_t)getpid() << 32) ^ attempt;
    x ^= x >> 31; /* splitmix64's finaliser */
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    return x;
}

/* dir ("." when path has no '/') and base of path, freshly allocated. */
static int split_path(const char *path, char **dir, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                 : strdup(".");
    return *dir ? 0 : -1;
}

/* Remove DIR/.BASE.tmp.PID.* whose PID is gone: the leftovers of a writer
 * of the same output that was killed (SIGKILL leaves no chance to clean
 * up).  Only regular files; a running writer's file is left alone. */
static void remove_stale(const char *dir, const char *base)
{
    size_t bl = base ? strlen(base) : 0;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        const char *t = base ? n + 1 + bl : strstr(n, ".tmp.");
        if (n[0] != '.' || (base && strncmp(n + 1, base, bl)) || !t ||
            strncmp(t, ".tmp.", 5))
            continue;
        char *end;
        long pid = strtol(t + 5, &end, 10);
        if (end == t + 5 || *end != '.' || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to judge */
        size_t len = strlen(dir) + strlen(n) + 2;
        char *p = malloc(len);
        struct stat st;
        if (p) {
            snprintf(p, len, "%s/%s", dir, n);
            if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
                unlink(p);
        }
        free(p);
    }
    closedir(d);
}

static int fail(ts_outfile *o, ts_err *e, const char *why)
{
    int rc = TS_ERROR(e, TS_ECREATE, "%s: cannot create the output file: %s",
                      o->path, why);
    free(o->path);
    o->path = NULL;
    return rc;
}

void ts_out_remove_stale_in(const char *dir)
{
    remove_stale(dir, NULL);
}

static int open_tmp(ts_outfile *o, const char *path, int scan, ts_err *e);

int ts_out_open(ts_outfile *o, const char *path, ts_err *e)
{
    return open_tmp(o, path, 1, e);
}

int ts_out_open_many(ts_outfile *o, const char *path, ts_err *e)
{
    return open_tmp(o, path, 0, e);
}

static int open_tmp(ts_outfile *o, const char *path, int scan, ts_err *e)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->path = strdup(path);
    if (!o->path)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", path);
    struct stat st;
    if (!*path || path[strlen(path) - 1] == '/')
        return fail(o, e, "a directory name, not a file name");
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        return fail(o, e, "it exists and is not a regular file");
    char *dir;
    const char *base;
    if (split_path(path, &dir, &base) < 0)
        return fail(o, e, "out of memory");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(dir);
        return fail(o, e, "its directory does not exist");
    }
    if (scan)
        remove_stale(dir, base);
    size_t len = strlen(dir) + strlen(base) + 64;
    o->tmp = malloc(len);
    int err = ENOMEM;
    for (unsigned k = 0; o->tmp && k < 100 && o->fd < 0; k++) {
        snprintf(o->tmp, len, "%s/.%s.tmp.%ld.%016llx", dir, base,
                 (long)getpid(), (unsigned long long)random_bits(o, k));
        o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        err = errno;
        if (o->fd < 0 && err != EEXIST)
            break; /* EEXIST: a name taken (or a planted link): try another */
    }
    free(dir);
    if (o->fd >= 0 && fstat(o->fd, &st) != 0) {
        err = errno;
        close(o->fd);
        unlink(o->tmp);
        o->fd = -1;
    }
    if (o->fd < 0) {
        free(o->tmp);
        o->tmp = NULL;
        return fail(o, e, strerror(err));
    }
    o->dev = (unsigned long long)st.st_dev;
    o->ino = (unsigned long long)st.st_ino;
    return TS_OK;
}

int ts_out_open_as(ts_outfile *o, const char *path, const char *tmp,
                   ts_err *e)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->path = strdup(path);
    o->tmp = strdup(tmp);
    struct stat st;
    if (!o->path || !o->tmp) {
        free(o->tmp);
        o->tmp = NULL;
        return fail(o, e, "out of memory");
    }
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        free(o->tmp);
        o->tmp = NULL;
        return fail(o, e, "it exists and is not a regular file");
    }
    o->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (o->fd < 0 || fstat(o->fd, &st) != 0) {
        const char *why = strerror(errno);
        if (o->fd >= 0) {
            close(o->fd);
            unlink(o->tmp);
        }
        free(o->tmp);
        o->tmp = NULL;
        return fail(o, e, why);
    }
    o->dev = (unsigned long long)st.st_dev;
    o->ino = (unsigned long long)st.st_ino;
    return TS_OK;
}

int ts_out_write(ts_outfile *o, const void *buf, size_t len, ts_err *e)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(o->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return TS_ERROR(e, TS_EIO, "%s: cannot write: %s", o->path,
                            w < 0 ? strerror(errno) : "no progress");
        p += w;
        len -= (size_t)w;
    }
    return TS_OK;
}

int ts_out_open_stream(ts_outfile *o, const char *path, FILE **f, ts_err *e)
{
    int rc = ts_out_open(o, path, e);
    if (rc)
        return rc;
    *f = fdopen(o->fd, "wb");
    if (!*f) {
        rc = TS_ERROR(e, TS_EIO, "%s: cannot write: %s", o->path, strerror(errno));
        ts_out_finish(o, 0, NULL);
        return rc;
    }
    o->fd = -1; /* the stream's now */
    return TS_OK;
}

int ts_out_close_stream(ts_outfile *o, FILE *f, int ok, ts_err *e)
{
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    const int err = errno;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        ts_out_finish(o, 0, NULL);
        return TS_ERROR(e, TS_EIO, "%s: cannot write: %s", o->path,
                        strerror(err ? err : errno));
    }
    return ts_out_finish(o, 1, e);
}

int ts_out_finish(ts_outfile *o, int ok, ts_err *e)
{
    int rc = TS_OK;
    if (!o->tmp) {
        free(o->path);
        o->path = NULL;
        return ok ? TS_ERROR(e, TS_EINVAL, "ts_out_finish: nothing open") : TS_OK;
    }
    const char *why = NULL;
    struct stat st;
    /* The last look at the flag, after all the work and before the
     * rename: a stop that came after the command's last poll still
     * discards the output (a signal after this check finds the work
     * done and the file complete). */
    if (ok && o->stop && *o->stop) {
        rc = TS_ERROR(e, TS_EINTR, "%s: interrupted: not written", o->path);
        ok = 0;
    }
    if (ok && o->fd >= 0 && fsync(o->fd) != 0)
        why = strerror(errno);
    if (o->fd >= 0 && close(o->fd) != 0 && !why)
        why = strerror(errno);
    o->fd = -1;
    /* The name must still be our file (HDF5 and gnuplot reopen it). */
    if (ok && !why &&
        (lstat(o->tmp, &st) != 0 || !S_ISREG(st.st_mode) ||
         (unsigned long long)st.st_dev != o->dev ||
         (unsigned long long)st.st_ino != o->ino))
        why = "the temporary file was replaced";
    if (ok && !why && rename(o->tmp, o->path) != 0)
        why = strerror(errno);
    if (ok && why)
        rc = TS_ERROR(e, TS_EIO, "%s: cannot write: %s", o->path, why);
    if (!ok || why)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return rc;
}

int ts_out_probe(const char *path, ts_err *e)
{
    ts_outfile o;
    int rc = ts_out_open(&o, path, e);
    if (!rc)
        ts_out_finish(&o, 0, e);
    return rc;
}

int ts_out_mkdirs(const char *dir, ts_err *e)
{
    char *p = strdup(dir);
    if (!p)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", dir);
    int rc = TS_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char c = *s;
        *s = '\0';
        struct stat st;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = TS_ERROR(e, TS_ECREATE, "%s: cannot create the directory: %s", p,
                          strerror(errno));
        else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = TS_ERROR(e, TS_ECREATE, "%s: not a directory", p);
        *s = c;
        if (rc || !c)
            break;
    }
    free(p);
    return rc;
}

int ts_out_write_file(const char *path, const void *text, size_t len,
                      ts_err *e)
{
    ts_outfile o;
    int rc = ts_out_open(&o, path, e);
    if (rc)
        return rc;
    rc = ts_out_write(&o, text, len, e);
    int rc2 = ts_out_finish(&o, rc == TS_OK, e);
    return rc ? rc : rc2;
}
