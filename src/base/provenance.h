/* provenance.h -- the one writer of what made a file: every HDF5 file
 * truthsim writes (run, point files, merge, replay, check, overtake,
 * best-response, dpo) carries the same root attributes, so any result can
 * be traced to the program, the build and the command that made it. */
#ifndef TS_PROVENANCE_H
#define TS_PROVENANCE_H

#include <hdf5.h>

typedef struct ts_provenance {
    const char *command_line; /* the whole command, or NULL */
    /* The plugins loaded, "PATH sha256:HEX" a line (ts_registry_provenance),
     * or NULL/"" for none: then no `plugins` attribute is written. */
    const char *plugins;
} ts_provenance;

/* program, version, git_commit, command_line, compiler, hdf5_version,
 * gsl_version, openmp (and plugins, when any) as attributes of obj (a file's root group).
 * Returns 0, or nonzero if an attribute could not be written. */
int ts_provenance_write(hid_t obj, const ts_provenance *prov);

/* "truthsim VERSION (COMMIT)", for --version. */
const char *ts_version_string(void);

#endif
