/* OCI mount options -> mount(2) flags and data. A known flag option sets or
 * clears an MS_* bit; propagation options are kept apart (they need their
 * own mount(2) call); everything else is file-system data. Pure code. */
#include "daemon/runtime/spec-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

static const struct {
        const char *name;
        bool clear;
        unsigned long flag;
} flag_options[] = {
        { "ro", false, MS_RDONLY },          { "rw", true, MS_RDONLY },
        { "nosuid", false, MS_NOSUID },      { "suid", true, MS_NOSUID },
        { "nodev", false, MS_NODEV },        { "dev", true, MS_NODEV },
        { "noexec", false, MS_NOEXEC },      { "exec", true, MS_NOEXEC },
        { "sync", false, MS_SYNCHRONOUS },   { "async", true, MS_SYNCHRONOUS },
        { "dirsync", false, MS_DIRSYNC },    { "mand", false, MS_MANDLOCK },
        { "nomand", true, MS_MANDLOCK },     { "noatime", false, MS_NOATIME },
        { "atime", true, MS_NOATIME },       { "nodiratime", false, MS_NODIRATIME },
        { "diratime", true, MS_NODIRATIME }, { "relatime", false, MS_RELATIME },
        { "norelatime", true, MS_RELATIME }, { "strictatime", false, MS_STRICTATIME },
        { "nostrictatime", true, MS_STRICTATIME },
};

static const struct {
        const char *name;
        unsigned long flags;
} propagation_options[] = {
        { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
        { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
        { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
        { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static int
data_append(char **data, const char *opt)
{
        char *n;

        if (asprintf(&n, "%s%s%s", *data ? *data : "", *data ? "," : "", opt) < 0)
                return -ENOMEM;
        free(*data);
        *data = n;
        return 0;
}

static bool
option_flag(struct runtime_mount *m, const char *o)
{
        for (size_t k = 0; k < ARRAY_SIZE(flag_options); k++) {
                if (strcmp(o, flag_options[k].name) != 0)
                        continue;
                if (flag_options[k].clear) {
                        m->flags &= ~flag_options[k].flag;
                        m->clear |= flag_options[k].flag;
                } else {
                        m->flags |= flag_options[k].flag;
                        m->clear &= ~flag_options[k].flag;
                }
                return true;
        }
        for (size_t k = 0; k < ARRAY_SIZE(propagation_options); k++) {
                if (strcmp(o, propagation_options[k].name) == 0) {
                        m->propagation = propagation_options[k].flags;
                        return true;
                }
        }
        return false;
}

int
runtime_mount_options_parse(struct runtime_mount *m, char *const *options, struct ctr_error **err)
{
        for (char *const *p = options; p && *p; p++) {
                const char *o = *p;

                if (!o[0])
                        return ctr_error_msg(err, EINVAL, "config.json: mounts.options: empty option for `%s`", m->destination);
                if (strcmp(o, "bind") == 0) {
                        m->bind = true;
                } else if (strcmp(o, "rbind") == 0) {
                        m->bind = m->recursive = true;
                } else if (strcmp(o, "idmap") == 0) {
                        m->idmap = true;
                } else if (option_flag(m, o)) {
                        ;
                } else if (strcmp(o, "remount") == 0 || strcmp(o, "defaults") == 0) {
                        ; /* meaningless here */
                } else {
                        if (strchr(o, ','))
                                return ctr_error_msg(err, EINVAL, "config.json: mounts.options: `%s` contains a comma", o);
                        if (data_append(&m->data, o) < 0)
                                return ctr_error_sys(err, ENOMEM, "config.json");
                }
        }
        return 0;
}
