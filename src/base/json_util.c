#include <string.h>

#include "base/json_util.h"

ratls_status jget_str(const json_t *o, const char *key, const char **out, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_string(v))
        return RATLS_ERR_COLLATERAL_FORMAT;
    *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    /* embedded NULs would make the C string lie about the value */
    if (strlen(*out) != json_string_length(v))
        return RATLS_ERR_COLLATERAL_FORMAT;
    return RATLS_OK;
}

int jget_int(const json_t *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_integer(v))
        return -1;
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return -1;
    *out = (int64_t)x;
    return 0;
}

int jget_hex(const json_t *o, const char *key, uint8_t *out, size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_string(v))
        return -1;
    return hex_decode_exact(json_string_value(v), json_string_length(v), out, n);
}

int jget_time(const json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_string(v) || json_string_length(v) > 40)
        return -1;
    return parse_iso8601_utc(json_string_value(v), out);
}
