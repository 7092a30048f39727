/* The protocol's error kinds: their stable data.kind strings and JSON-RPC
 * codes. Pure tables, shared by the daemon (encoding) and the client
 * (decoding). */
#include <errno.h>
#include <string.h>

#include "common/macros.h"
#include "proto/proto.h"

static const struct {
        const char *name;
        int code;
} error_kinds[_PROTO_ERR_MAX] = {
        [PROTO_ERR_PARSE] = { "parse", -32700 },
        [PROTO_ERR_INVALID_REQUEST] = { "invalid_request", -32600 },
        [PROTO_ERR_NO_METHOD] = { "no_method", -32601 },
        [PROTO_ERR_INVALID_PARAMS] = { "invalid_params", -32602 },
        [PROTO_ERR_NOT_FOUND] = { "not_found", -32001 },
        [PROTO_ERR_CONFLICT] = { "conflict", -32002 },
        [PROTO_ERR_INVALID] = { "invalid", -32003 },
        [PROTO_ERR_DENIED] = { "denied", -32004 },
        [PROTO_ERR_BUSY] = { "busy", -32005 },
        [PROTO_ERR_INTERNAL] = { "internal", -32603 },
};

const char *
proto_error_kind_to_string(enum proto_error_kind k)
{
        if ((unsigned) k >= _PROTO_ERR_MAX)
                return "internal";
        return error_kinds[k].name;
}

int
proto_error_kind_from_string(const char *s)
{
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(error_kinds); i++)
                if (strcmp(error_kinds[i].name, s) == 0)
                        return (int) i;
        return -EINVAL;
}

int
proto_error_kind_code(enum proto_error_kind k)
{
        if ((unsigned) k >= _PROTO_ERR_MAX)
                return error_kinds[PROTO_ERR_INTERNAL].code;
        return error_kinds[k].code;
}

/* Kind for a code, for replies whose data.kind is missing. */
int
proto_error_kind_from_code(int code)
{
        for (size_t i = 0; i < ARRAY_SIZE(error_kinds); i++)
                if (error_kinds[i].code == code)
                        return (int) i;
        return -EINVAL;
}
