/* test_outfile.c -- base/outfile.c: the one way output files are written
 * (issue 14, items 2 and 9).  Each case builds its situation in a fresh
 * temporary directory and checks the files on disk afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/outfile.h"

static char dir[256];

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_text(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, text);
}

static int entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ts_test_outfile.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A symlink planted at the temporary name is not followed: creation fails
 * (O_EXCL|O_NOFOLLOW) and the link's target keeps its bytes. */
static void symlink_at_temporary(void **state)
{
    (void)state;
    char target[300], out[300], tmp[300];
    path_in(target, sizeof target, "victim");
    path_in(out, sizeof out, "out.h5");
    path_in(tmp, sizeof tmp, ".out.h5.tmp.1.planted");
    put(target, "precious");
    assert_int_equal(symlink(target, tmp), 0);
    ts_outfile o;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_out_open_as(&o, out, tmp, &e), TS_ECREATE);
    assert_non_null(strstr(e.msg, "out.h5: cannot create the output file"));
    expect_text(target, "precious");
    struct stat st;
    assert_int_equal(lstat(tmp, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

/* A symlink at OUT is replaced by the rename, its target untouched. */
static void symlink_at_output(void **state)
{
    (void)state;
    char target[300], out[300];
    path_in(target, sizeof target, "victim");
    path_in(out, sizeof out, "link.txt");
    put(target, "precious");
    assert_int_equal(symlink(target, out), 0);
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_out_write_file(out, "new", 3, &e), TS_OK);
    expect_text(target, "precious");
    struct stat st;
    assert_int_equal(lstat(out, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    expect_text(out, "new");
    assert_int_equal(entries(), 2); /* victim, link.txt: no temporary left */
}

/* An existing output that is not a regular file is refused, not replaced. */
static void non_regular_refused(void **state)
{
    (void)state;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_out_write_file("/dev/null", "x", 1, &e), TS_ECREATE);
    assert_string_equal(e.msg, "/dev/null: cannot create the output file: it "
                               "exists and is not a regular file");
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    char sub[300];
    path_in(sub, sizeof sub, "adir");
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(ts_out_probe(sub, &e), TS_ECREATE);
    path_in(sub, sizeof sub, "no/such/x.h5");
    assert_int_equal(ts_out_probe(sub, &e), TS_ECREATE);
    assert_non_null(strstr(e.msg, "its directory does not exist"));
    assert_int_equal(entries(), 1); /* adir only */
}

/* Temporaries are .BASE.tmp.PID.RANDOM, differ between calls, and an
 * abandoned one leaves nothing. */
static void temporary_names(void **state)
{
    (void)state;
    char out[300], want[300];
    path_in(out, sizeof out, "r.h5");
    snprintf(want, sizeof want, "%s/.r.h5.tmp.%ld.", dir, (long)getpid());
    ts_outfile a, b;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_out_open(&a, out, &e), TS_OK);
    assert_int_equal(ts_out_open(&b, out, &e), TS_OK);
    assert_int_equal(strncmp(a.tmp, want, strlen(want)), 0);
    assert_int_equal(strlen(a.tmp), strlen(want) + 16);
    assert_string_not_equal(a.tmp, b.tmp);
    assert_int_equal(entries(), 2);
    ts_out_finish(&a, 0, &e);
    ts_out_finish(&b, 0, &e);
    assert_int_equal(entries(), 0);
}

/* A temporary of a writer that is gone (SIGKILL) is removed by the next
 * writer of the same output; one of a running process is kept. */
static void stale_temporaries(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    assert_true(child > 0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    char dead[300], alive[300], other[300], out[300];
    snprintf(dead, sizeof dead, "%s/.o.h5.tmp.%ld.0123456789abcdef", dir, (long)child);
    snprintf(alive, sizeof alive, "%s/.o.h5.tmp.%ld.0123456789abcdef", dir,
             (long)getppid());
    snprintf(other, sizeof other, "%s/.p.h5.tmp.%ld.0123456789abcdef", dir, (long)child);
    put(dead, "70 MB once");
    put(alive, "in use");
    put(other, "another output's");
    path_in(out, sizeof out, "o.h5");
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_out_write_file(out, "ok", 2, &e), TS_OK);
    assert_int_equal(access(dead, F_OK), -1);
    assert_int_equal(access(alive, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);
    expect_text(out, "ok");
}

static void mkdirs(void **state)
{
    (void)state;
    char p[300];
    path_in(p, sizeof p, "a/b/c");
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_out_mkdirs(p, &e), TS_OK);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(ts_out_mkdirs(p, &e), TS_OK); /* exists: fine */
    char f[300];
    path_in(f, sizeof f, "file");
    put(f, "x");
    path_in(p, sizeof p, "file/sub");
    assert_int_equal(ts_out_mkdirs(p, &e), TS_ECREATE);
}

/* A stop raised after the command's last poll (here: after all the
 * writing) discards the temporary at the finish: TS_EINTR, the earlier OUT
 * untouched, nothing else left; through the stream writer too.  With the
 * flag down the same calls rename as before. */
static void stop_before_rename(void **state)
{
    (void)state;
    char p[300];
    path_in(p, sizeof p, "out");
    put(p, "old");
    volatile sig_atomic_t stop = 0;
    ts_err e;
    ts_err_clear(&e);
    ts_outfile o;
    assert_int_equal(ts_out_open(&o, p, &e), TS_OK);
    o.stop = &stop;
    assert_int_equal(ts_out_write(&o, "new", 3, &e), TS_OK);
    stop = 1;
    assert_int_equal(ts_out_finish(&o, 1, &e), TS_EINTR);
    assert_non_null(strstr(e.msg, "out: interrupted: not written"));
    expect_text(p, "old");
    assert_int_equal(entries(), 1);

    FILE *f;
    assert_int_equal(ts_out_open_stream(&o, p, &f, &e), TS_OK);
    o.stop = &stop;
    fputs("streamed", f);
    assert_int_equal(ts_out_close_stream(&o, f, 1, &e), TS_EINTR);
    expect_text(p, "old");
    assert_int_equal(entries(), 1);

    stop = 0;
    assert_int_equal(ts_out_open(&o, p, &e), TS_OK);
    o.stop = &stop;
    assert_int_equal(ts_out_write(&o, "new", 3, &e), TS_OK);
    assert_int_equal(ts_out_finish(&o, 1, &e), TS_OK);
    expect_text(p, "new");
    assert_int_equal(entries(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(symlink_at_temporary, setup, teardown),
        cmocka_unit_test_setup_teardown(symlink_at_output, setup, teardown),
        cmocka_unit_test_setup_teardown(non_regular_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(temporary_names, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_temporaries, setup, teardown),
        cmocka_unit_test_setup_teardown(mkdirs, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_before_rename, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
