/* provenance.c -- the root attributes that say what made a file. */
#include "base/provenance.h"

#include <gsl/gsl_version.h>
#include <stdio.h>

#include "base/h5util.h"
#include "ts_config.h"
#include "ts_vcs.h"

int ts_provenance_write(hid_t obj, const ts_provenance *prov)
{
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char h5v[32];
    snprintf(h5v, sizeof h5v, "%u.%u.%u", maj, min, rel);
    int bad = 0;
    bad |= ts_h5_attr_str(obj, "program", "truthsim");
    bad |= ts_h5_attr_str(obj, "version", TS_VERSION);
    bad |= ts_h5_attr_str(obj, "git_commit", TS_GIT_COMMIT);
    bad |= ts_h5_attr_str(obj, "command_line",
                          prov && prov->command_line ? prov->command_line : "");
    bad |= ts_h5_attr_str(obj, "compiler", TS_COMPILER);
    bad |= ts_h5_attr_str(obj, "hdf5_version", h5v);
    bad |= ts_h5_attr_str(obj, "gsl_version", GSL_VERSION);
    bad |= ts_h5_attr_long(obj, "openmp", TS_HAVE_OPENMP);
    if (prov && prov->plugins && prov->plugins[0])
        bad |= ts_h5_attr_str(obj, "plugins", prov->plugins);
    return bad;
}

const char *ts_version_string(void)
{
    return "truthsim " TS_VERSION " (" TS_GIT_COMMIT ")";
}
