/* test_results_write.c -- src/results/results_write.c: what writing a
 * result file costs in memory (issue 14, item 5).
 *
 * The writer used to build its 0, 1, ... index scales in one buffer of
 * max(N, R, T + 1) longs whether or not the file had a slot axis: 8 T
 * bytes, 80 MB at T = 10^7, for a run without trajectories whose results
 * are a few numbers.  Now the slot scale (and its T + 1 indices) exists
 * only with trajectories.  The write runs in a forked child, which reports
 * how far its peak resident size (getrusage's ru_maxrss) rose during
 * ts_sweep_write: a page touched is counted, so the old buffer showed up as
 * ~78,000 KB; the rest of the write is a few MB (the bound, 40 MB, holds
 * under AddressSanitizer too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiment/experiment.h"
#include "results/results.h"

static const char big_t[] = "name: memtest\n"
                            "population: bands\n"
                            "N: 3\n"
                            "m: 2\n"
                            "T: 10000000\n"
                            "mechanisms: [ours]\n"
                            "replicas: 2\n"
                            "seed: 1\n"
                            "trajectory: false\n";

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* In a child: write the sweep, send (status, rise of the peak in KB). */
static void child_write(const ts_sweep *sw, const char *path, int fd)
{
    ts_err e;
    ts_err_clear(&e);
    ts_provenance prov = {.command_line = "test_results_write"};
    long before = maxrss_kb();
    long msg[2];
    msg[0] = ts_sweep_write(sw, path, &prov, &e);
    msg[1] = maxrss_kb() - before;
    if (write(fd, msg, sizeof msg) != (ssize_t)sizeof msg)
        _exit(2);
    _exit(0);
}

static void no_8t_bytes_without_trajectories(void **state)
{
    (void)state;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ts_err e;
    ts_err_clear(&e);
    ts_experiment *x = NULL;
    assert_int_equal(ts_experiment_load(&x, "mem.yaml", big_t, 0, NULL, &e), TS_OK);
    ts_sweep sw;
    assert_int_equal(ts_sweep_alloc(&sw, x, &e), TS_OK);
    assert_int_equal(sw.T_max, 10000000);
    char path[] = "/tmp/ts_test_results_write.XXXXXX";
    int tfd = mkstemp(path);
    assert_true(tfd >= 0);
    close(tfd);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        child_write(&sw, path, p[1]);
    }
    close(p[1]);
    long msg[2] = {-1, -1};
    ssize_t got = read(p[0], msg, sizeof msg);
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(got, (ssize_t)sizeof msg);
    assert_int_equal(msg[0], TS_OK);
    print_message("peak resident size rose by %ld KB while writing\n", msg[1]);
    assert_true(msg[1] < 40 * 1024);

    /* The file is a real result: a worker scale of 3 and no slot axis. */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Lexists(f, "worker", H5P_DEFAULT) > 0);
    assert_true(H5Lexists(f, "slot", H5P_DEFAULT) == 0);
    hid_t d = H5Dopen2(f, "worker", H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(s, &n, NULL);
    assert_int_equal(n, 3);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    unlink(path);
    ts_sweep_free(&sw);
    ts_experiment_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_8t_bytes_without_trajectories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
