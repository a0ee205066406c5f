#include <stdlib.h>
#include <string.h>

#include "core/core.h"

ratls_policy *ratls_policy_new(void)
{
    ratls_policy *p = calloc(1, sizeof *p);
    if (p)
        p->status_mask = 1u << TS_UP_TO_DATE;
    return p;
}

static void list_free(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void ratls_policy_free(ratls_policy *p)
{
    if (!p)
        return;
    list_free(p->deny, p->ndeny);
    list_free(p->allow, p->nallow);
    free(p);
}

ratls_status ratls_policy_allow_tcb_status(ratls_policy *p, const char *status)
{
    if (!p || !status)
        return RATLS_ERR_INVALID_ARGUMENT;
    int s = tcb_status_parse(status, 1);
    if (s < 0)
        return RATLS_ERR_UNKNOWN_TCB_STATUS;
    p->status_mask |= 1u << s;
    return RATLS_OK;
}

ratls_status ratls_policy_set_tcb_statuses(ratls_policy *p, const char *csv)
{
    if (!p || !csv)
        return RATLS_ERR_INVALID_ARGUMENT;
    unsigned mask = 0;
    const char *s = csv;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char tok[64];
        /* trim spaces */
        while (n && *s == ' ') {
            s++;
            n--;
        }
        while (n && s[n - 1] == ' ')
            n--;
        if (n == 0 || n >= sizeof tok)
            return RATLS_ERR_UNKNOWN_TCB_STATUS;
        memcpy(tok, s, n);
        tok[n] = '\0';
        int st = tcb_status_parse(tok, 1);
        if (st < 0)
            return RATLS_ERR_UNKNOWN_TCB_STATUS;
        mask |= 1u << st;
        if (!e)
            break;
        s = e + 1;
        if (!*s)
            return RATLS_ERR_UNKNOWN_TCB_STATUS; /* trailing comma */
    }
    if (!mask)
        return RATLS_ERR_UNKNOWN_TCB_STATUS;
    p->status_mask = mask;
    return RATLS_OK;
}

static ratls_status list_add(char ***l, size_t *n, const char *id)
{
    if (!id || !*id || strlen(id) > 64)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (*n >= POLICY_MAX_ADV)
        return RATLS_ERR_TOO_LARGE;
    char **nl = realloc(*l, (*n + 1) * sizeof *nl);
    if (!nl)
        return RATLS_ERR_NO_MEMORY;
    *l = nl;
    nl[*n] = strdup(id);
    if (!nl[*n])
        return RATLS_ERR_NO_MEMORY;
    (*n)++;
    return RATLS_OK;
}

ratls_status ratls_policy_deny_advisory(ratls_policy *p, const char *id)
{
    return p ? list_add(&p->deny, &p->ndeny, id) : RATLS_ERR_INVALID_ARGUMENT;
}

ratls_status ratls_policy_allow_advisory(ratls_policy *p, const char *id)
{
    if (!p)
        return RATLS_ERR_INVALID_ARGUMENT;
    ratls_status s = list_add(&p->allow, &p->nallow, id);
    if (s == RATLS_OK) /* a rejected call leaves the policy as it was */
        p->restrict_adv = 1;
    return s;
}

void ratls_policy_restrict_advisories(ratls_policy *p)
{
    if (p)
        p->restrict_adv = 1;
}

void ratls_policy_set_flags(ratls_policy *p, unsigned flags)
{
    if (p)
        p->flags = flags;
}

unsigned ratls_policy_flags(const ratls_policy *p) { return p ? p->flags : 0; }

void ratls_policy_set_min_tcb_evaluation_number(ratls_policy *p, uint32_t n)
{
    if (p)
        p->min_eval_num = n;
}

int policy_status_accepted(const ratls_policy *p, tcb_status s) { return (p->status_mask >> s) & 1u; }

const char *policy_advisory_rejected(const ratls_policy *p, const char *id)
{
    for (size_t i = 0; i < p->ndeny; i++)
        if (strcmp(p->deny[i], id) == 0)
            return id;
    if (p->restrict_adv) {
        for (size_t i = 0; i < p->nallow; i++)
            if (strcmp(p->allow[i], id) == 0)
                return NULL;
        return id;
    }
    return NULL;
}
