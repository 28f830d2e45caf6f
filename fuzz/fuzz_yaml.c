/* fuzz_yaml.c -- the experiment loader (src/experiment), with the
 * canonical text's round trip as the property checked: whatever loads,
 * its canonical text loads again and gives the very same text (the hash
 * point files and merge rely on, SPEC §5). */
#include "fuzz/fuzz_util.h"

#include "experiment/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ts_err e;
    ts_err_clear(&e);
    ts_experiment *x = NULL;
    if (ts_experiment_load(&x, "fuzz.yaml", text, 0, NULL, &e) == TS_OK) {
        char *c1 = ts_experiment_canonical(x);
        ts_experiment *y = NULL;
        if (!c1 || ts_experiment_load(&y, "fuzz.yaml", c1, 0, NULL, &e) != TS_OK) {
            fprintf(stderr, "canonical text does not load again: %s\n--\n%s\n",
                    e.msg, c1 ? c1 : "(null)");
            abort();
        }
        char *c2 = ts_experiment_canonical(y);
        if (!c2 || strcmp(c1, c2)) {
            fprintf(stderr, "canonical text changed:\n%s\n--\n%s\n", c1,
                    c2 ? c2 : "(null)");
            abort();
        }
        free(c2);
        free(c1);
        ts_experiment_free(y);
    }
    ts_experiment_free(x);
    free(text);
    return 0;
}
