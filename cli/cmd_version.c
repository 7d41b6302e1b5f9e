/* cmd_version.c — `socpipe version`: what this binary is built from. */
#include "cli/cli.h"

#include <librdkafka/rdkafka.h>
#include <oniguruma.h>
#include <stdio.h>
#include <yaml.h>
#include <zstd.h>

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("socpipe 0.1.0\n");
    printf("librdkafka %s, oniguruma %s, zstd %s, libyaml %s\n", rd_kafka_version_str(),
           onig_version(), ZSTD_versionString(), yaml_get_version_string());
    return SP_EXIT_OK;
}
