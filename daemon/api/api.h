/* The API handlers: one file per noun (system, image, container). They
 * validate params into typed values (wrong type or missing field ->
 * invalid_params naming the field) and call the orchestrators. JSON from
 * the wire stops here. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "daemon/dispatch.h"

struct api_context {
        struct container_manager *containers;
        struct image_manager *images;
        struct network_manager *networks;
        struct event_bus *events;
        const struct daemon_config *config;
};

/* The method table for dispatch_new(), NULL-terminated; userdata is a
 * struct api_context. */
extern const struct dispatch_method api_methods[];

/* Param helpers: each returns 0 and sets *ret (borrowed string / value;
 * default when absent and !required), or answers req with invalid_params
 * and returns -EINVAL. */
int api_param_string(struct request *req, json_t *params, const char *key, bool required,
                     const char **ret);
int api_param_bool(struct request *req, json_t *params, const char *key, bool *ret);
/* Integer within [min, max]. */
int api_param_int(struct request *req, json_t *params, const char *key, long long min,
                  long long max, bool *ret_present, long long *ret);
/* Array of strings -> NULL-terminated malloc'd vector (NULL if absent). */
int api_param_strv(struct request *req, json_t *params, const char *key, char ***ret);
/* "signal": a name ("TERM", "SIGTERM") or a number 1-64; *ret = def if absent. */
int api_param_signal(struct request *req, json_t *params, const char *key, int def, int *ret);
/* "rows" and "cols" (0-65535, 0 when absent). */
int api_param_winsize(struct request *req, json_t *params, unsigned *ret_rows,
                      unsigned *ret_cols);
/* An optional boolean as -1 (absent), 0 or 1. */
int api_param_tristate(struct request *req, json_t *params, const char *key, int *ret);
/* Fails if params has a key not in the NULL-terminated allowed list. */
int api_params_check_keys(struct request *req, json_t *params, const char *const *allowed);

void api_system_version(struct request *req, json_t *params, void *userdata);
void api_system_info(struct request *req, json_t *params, void *userdata);

void api_image_import(struct request *req, json_t *params, void *userdata);
void api_image_list(struct request *req, json_t *params, void *userdata);
void api_image_inspect(struct request *req, json_t *params, void *userdata);
void api_image_remove(struct request *req, json_t *params, void *userdata);
void api_image_prune(struct request *req, json_t *params, void *userdata);

void api_container_create(struct request *req, json_t *params, void *userdata);
void api_container_start(struct request *req, json_t *params, void *userdata);
void api_container_stop(struct request *req, json_t *params, void *userdata);
void api_container_kill(struct request *req, json_t *params, void *userdata);
void api_container_remove(struct request *req, json_t *params, void *userdata);
void api_container_list(struct request *req, json_t *params, void *userdata);
void api_container_inspect(struct request *req, json_t *params, void *userdata);
void api_container_wait(struct request *req, json_t *params, void *userdata);
void api_container_attach(struct request *req, json_t *params, void *userdata);
void api_container_logs(struct request *req, json_t *params, void *userdata);
/* daemon/api/authz.c: a user's ownership checks (dispatch_authorize_fn),
 * and what a user may ask for at create (sets p->owner_uid; for admins
 * nothing else). Each answers req when it refuses. */
struct container_create_params;
bool api_authorize(struct request *req, json_t *params, void *userdata);
int api_authorize_create(struct request *req, json_t *params, struct api_context *ctx,
                         struct container_create_params *p);
/* daemon/api/resources.c */
void api_container_update(struct request *req, json_t *params, void *userdata);
void api_container_pause(struct request *req, json_t *params, void *userdata);
void api_container_resume(struct request *req, json_t *params, void *userdata);
void api_container_stats(struct request *req, json_t *params, void *userdata);
/* daemon/api/events.c */
void api_events_subscribe(struct request *req, json_t *params, void *userdata);

void api_network_create(struct request *req, json_t *params, void *userdata);
void api_network_list(struct request *req, json_t *params, void *userdata);
void api_network_inspect(struct request *req, json_t *params, void *userdata);
void api_network_remove(struct request *req, json_t *params, void *userdata);

void api_container_exec(struct request *req, json_t *params, void *userdata);
void api_exec_list(struct request *req, json_t *params, void *userdata);
void api_exec_inspect(struct request *req, json_t *params, void *userdata);
void api_exec_attach(struct request *req, json_t *params, void *userdata);
void api_exec_kill(struct request *req, json_t *params, void *userdata);
void api_exec_remove(struct request *req, json_t *params, void *userdata);
