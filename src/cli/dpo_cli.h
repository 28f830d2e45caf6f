/* dpo_cli.h -- the `truthsim dpo` subcommand (issue 6, item 8). */
#ifndef TS_DPO_CLI_H
#define TS_DPO_CLI_H

/* Run `truthsim dpo` with argv[0] = "dpo".  Returns 0 on success; on an
 * error prints one line "truthsim dpo: ..." to stderr and returns
 * non-zero, leaving no partial output file. */
int ts_cli_dpo(int argc, char **argv);

#endif
