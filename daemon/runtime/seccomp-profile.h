/* seccomp profiles: the Docker JSON profile format (a file: archMap,
 * includes/excludes, name) and the OCI config.json `linux.seccomp` object,
 * parsed by one parser into a resolved profile; the compiled BPF program
 * and its on-disk cache; loading it in the container child.
 * Parsing and compiling run in the parent (the monitor, or the daemon to
 * validate/convert a file); only seccomp_bpf_install() runs in the child.
 * Private to daemon/runtime/, its unit test, and the daemon's converter. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum seccomp_profile_format {
        /* A profile file as Docker/Podman read it: archMap, syscalls[].name,
         * includes/excludes {caps, arches, minKernel}, comments. */
        SECCOMP_PROFILE_DOCKER,
        /* config.json linux.seccomp: architectures, flags, syscalls[].names.
         * Docker-only fields are an error there (the writer of config.json
         * resolves them), never silently ignored. */
        SECCOMP_PROFILE_OCI,
};

/* What includes/excludes are resolved against. */
struct seccomp_profile_env {
        uint64_t caps;              /* bit n = capability n */
        uint32_t arch;              /* SCMP_ARCH_*; 0 = the host's */
        const char *kernel_release; /* for minKernel ("6.1.0-18-amd64"); NULL = uname(2) */
};

struct seccomp_arg {
        unsigned index;  /* 0..5 */
        uint64_t value;  /* the mask for SCMP_CMP_MASKED_EQ */
        uint64_t value_two;
        int op;          /* enum scmp_compare */
};

/* One syscalls[] entry that applies (after includes/excludes), with the
 * names this libseccomp knows; unknown names are dropped, as Docker does,
 * so a profile written for a newer kernel still loads. */
struct seccomp_rule {
        char **names;     /* NULL-terminated */
        int *nrs;         /* libseccomp syscall numbers, parallel to names */
        size_t n_names;
        uint32_t action;  /* SCMP_ACT_*, with the errno/trace value */
        struct seccomp_arg *args;
        size_t n_args;
};

struct seccomp_profile {
        uint32_t default_action;
        uint32_t *arches; /* SCMP_ARCH_* to add besides the native one */
        size_t n_arches;
        unsigned flags;   /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
        struct seccomp_rule *rules;
        size_t n_rules;
        size_t n_unknown_names; /* skipped syscall names, for a debug message */
        size_t n_skipped_rules; /* entries left out by includes/excludes */
};

/* Parses a profile text. origin names it in messages (a file path, or
 * "config.json"); root is the JSON path of the profile object in it ("" for
 * a file, "linux.seccomp" for a config.json). Syntax errors name the line
 * and column; semantic errors the JSON path: "p.json: syscalls[12].action:
 * unknown action `SCMP_ACT_NOPE`". env NULL: all capabilities, host arch.
 * The caller frees *ret with seccomp_profile_free(). */
int seccomp_profile_parse(const char *text, size_t len, enum seccomp_profile_format format,
                          const char *origin, const char *root, const struct seccomp_profile_env *env,
                          struct seccomp_profile **ret, struct ctr_error **err);
/* The same from an already parsed JSON object (borrowed). */
int seccomp_profile_from_json(json_t *obj, enum seccomp_profile_format format, const char *origin,
                              const char *root, const struct seccomp_profile_env *env,
                              struct seccomp_profile **ret, struct ctr_error **err);

/* The resolved profile as an OCI linux.seccomp object (new reference, or
 * NULL on OOM): what the daemon writes into config.json for a Docker
 * profile file, with includes/excludes already applied. */
json_t *seccomp_profile_to_oci_json(const struct seccomp_profile *p);

void seccomp_profile_free(struct seccomp_profile *p);
DEFINE_FREEP(struct seccomp_profile, seccomp_profile_free)

/* "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64, or 0 when unknown. */
uint32_t seccomp_arch_from_name(const char *name);

/* ---- the compiled program (seccomp-bpf.c) ---- */

struct sock_filter;

struct seccomp_bpf {
        struct sock_filter *insns;
        unsigned short n_insns;
        unsigned flags; /* SECCOMP_FILTER_FLAG_* */
};

/* Compiles p with libseccomp (seccomp_export_bpf through a memfd). */
int seccomp_bpf_compile(const struct seccomp_profile *p, struct seccomp_bpf **ret, struct ctr_error **err);

/* The program for an OCI linux.seccomp text (its canonical JSON): read
 * from cache_dir when there, else parsed, compiled and written there
 * atomically (a corrupt entry is compiled again and replaced). The key is
 * sha256(text, caps, host arch, kernel release, libseccomp version).
 * cache_dir NULL, or writable by another user: no cache. *ret_cached (may be NULL) says which. origin
 * and root are for parse messages, as seccomp_profile_parse(). */
int seccomp_bpf_load(const char *cache_dir, const char *text, size_t len, const char *origin, const char *root,
                     const struct seccomp_profile_env *env, struct seccomp_bpf **ret, bool *ret_cached,
                     struct ctr_error **err);

/* The cache file name (64 hex + ".bpf") load would use; for tests. */
int seccomp_bpf_cache_name(const char *text, size_t len, const struct seccomp_profile_env *env,
                           char ret[static 70]);

/* In the child: seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). Needs
 * no_new_privs or CAP_SYS_ADMIN. No allocation; 0 or -errno. */
int seccomp_bpf_install(const struct seccomp_bpf *b);

void seccomp_bpf_free(struct seccomp_bpf *b);
DEFINE_FREEP(struct seccomp_bpf, seccomp_bpf_free)
