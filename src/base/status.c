#include "ratls/ratls.h"

typedef struct status_desc {
    const char *name;
    const char *text;
} status_desc;

static const status_desc k_status[RATLS_STATUS_COUNT_] = {
    [RATLS_OK] = {"ok", "success"},
    [RATLS_ERR_INVALID_ARGUMENT] = {"invalid_argument", "invalid argument"},
    [RATLS_ERR_NO_MEMORY] = {"no_memory", "out of memory"},
    [RATLS_ERR_INTERNAL] = {"internal", "internal error (OpenSSL failure)"},
    [RATLS_ERR_QUOTE_TRUNCATED] = {"quote_truncated", "the quote is shorter than its layout requires"},
    [RATLS_ERR_QUOTE_VERSION] = {"quote_version", "unsupported quote version (TDX quotes are v4 or v5)"},
    [RATLS_ERR_QUOTE_ATT_KEY_TYPE] = {"quote_att_key_type", "unsupported attestation key type (expected ECDSA-P256)"},
    [RATLS_ERR_QUOTE_TEE_TYPE] = {"quote_tee_type", "not a TDX quote (TEE type is not 0x81)"},
    [RATLS_ERR_QUOTE_QE_VENDOR] = {"quote_qe_vendor", "the quoting enclave vendor is not Intel"},
    [RATLS_ERR_QUOTE_BODY_TYPE] = {"quote_body_type", "unsupported or inconsistent quote body type"},
    [RATLS_ERR_QUOTE_SIG_DATA] = {"quote_sig_data", "malformed quote signature data"},
    [RATLS_ERR_QUOTE_CERT_DATA_TYPE] = {"quote_cert_data_type", "unsupported certification data type"},
    [RATLS_ERR_QUOTE_CERT_DATA] = {"quote_cert_data", "malformed certification data"},
    [RATLS_ERR_PEM_CHAIN] = {"pem_chain", "malformed PEM certificate chain"},
    [RATLS_ERR_TOO_LARGE] = {"too_large", "input exceeds its size limit"},
    [RATLS_ERR_COLLATERAL_FORMAT] = {"collateral_format", "malformed collateral"},
    [RATLS_ERR_TCB_INFO_FORMAT] = {"tcb_info_format", "malformed TCB Info"},
    [RATLS_ERR_QE_IDENTITY_FORMAT] = {"qe_identity_format", "malformed QE Identity"},
    [RATLS_ERR_CRL_FORMAT] = {"crl_format", "malformed CRL"},
    [RATLS_ERR_UNKNOWN_TCB_STATUS] = {"unknown_tcb_status", "unrecognized TCB status string"},
    [RATLS_ERR_UNTRUSTED_ROOT] = {"untrusted_root",
                                  "the chain does not end at a pinned root (Intel SGX Root CA, AMD ARK)"},
    [RATLS_ERR_CERT_CHAIN] = {"cert_chain", "certificate chain verification failed"},
    [RATLS_ERR_CERT_NOT_YET_VALID] = {"cert_not_yet_valid", "a certificate is not yet valid at the verification time"},
    [RATLS_ERR_CERT_EXPIRED] = {"cert_expired", "a certificate has expired at the verification time"},
    [RATLS_ERR_CERT_REVOKED] = {"cert_revoked", "a certificate is revoked"},
    [RATLS_ERR_CRL_SIGNATURE] = {"crl_signature", "a CRL signature does not verify"},
    [RATLS_ERR_CRL_ISSUER] = {"crl_issuer", "a CRL was not issued by the expected CA"},
    [RATLS_ERR_CRL_NOT_YET_VALID] = {"crl_not_yet_valid", "a CRL is not yet valid at the verification time"},
    [RATLS_ERR_CRL_EXPIRED] = {"crl_expired", "a CRL has expired at the verification time"},
    [RATLS_ERR_TCB_INFO_SIGNATURE] = {"tcb_info_signature", "the TCB Info signature does not verify"},
    [RATLS_ERR_QE_IDENTITY_SIGNATURE] = {"qe_identity_signature", "the QE Identity signature does not verify"},
    [RATLS_ERR_COLLATERAL_NOT_YET_VALID] = {"collateral_not_yet_valid",
                                            "collateral is not yet valid at the verification time"},
    [RATLS_ERR_COLLATERAL_EXPIRED] = {"collateral_expired", "collateral has expired at the verification time"},
    [RATLS_ERR_SGX_EXTENSION] = {"sgx_extension", "malformed SGX extension in the PCK certificate"},
    [RATLS_ERR_QE_REPORT_SIGNATURE] = {"qe_report_signature",
                                       "the QE report signature does not verify with the PCK key"},
    [RATLS_ERR_QE_REPORT_DATA] = {"qe_report_data", "the QE report data does not bind the attestation key"},
    [RATLS_ERR_QE_IDENTITY_MISMATCH] = {"qe_identity_mismatch",
                                        "the quoting enclave does not match Intel's QE Identity"},
    [RATLS_ERR_QUOTE_SIGNATURE] = {"quote_signature", "the quote signature does not verify with the attestation key"},
    [RATLS_ERR_FMSPC_MISMATCH] = {"fmspc_mismatch", "the TCB Info is for another platform (FMSPC differs)"},
    [RATLS_ERR_PCEID_MISMATCH] = {"pceid_mismatch", "the TCB Info is for another PCE (PCEID differs)"},
    [RATLS_ERR_TCB_NOT_SUPPORTED] = {"tcb_not_supported", "no TCB level matches the platform (TCB not supported)"},
    [RATLS_ERR_TDX_MODULE_MISMATCH] = {"tdx_module_mismatch", "the TDX module does not match Intel's module identity"},
    [RATLS_ERR_TCB_STATUS_REJECTED] = {"tcb_status_rejected", "the TCB status is not accepted by the policy"},
    [RATLS_ERR_ADVISORY_REJECTED] = {"advisory_rejected", "an advisory ID is not accepted by the policy"},
    [RATLS_ERR_TD_DEBUG] = {"td_debug", "the TD runs in DEBUG mode"},
    [RATLS_ERR_TD_ATTRIBUTES] = {"td_attributes", "reserved TD attribute bits are set"},
    [RATLS_ERR_TD_SEPT_VE_DISABLE] = {"td_sept_ve_disable", "the TD does not set SEPT_VE_DISABLE"},
    [RATLS_ERR_TD_MRSERVICETD] = {"td_mrservicetd", "the TD has a non-zero MRSERVICETD"},
    [RATLS_ERR_EVENTLOG_FORMAT] = {"eventlog_format", "malformed event log"},
    [RATLS_ERR_EVENT_DIGEST] = {"event_digest", "an event's logged digest does not match its content"},
    [RATLS_ERR_EVENT_PLACEMENT] = {"event_placement", "an event is logged in the wrong measurement register"},
    [RATLS_ERR_EVENT_DUPLICATE] = {"event_duplicate", "an event that may occur once occurs again"},
    [RATLS_ERR_RESPONSE_FORMAT] = {"response_format", "malformed attestation response"},
    [RATLS_ERR_APP_COMPOSE] = {"app_compose", "the app compose is not valid JSON or not a valid app compose"},
    [RATLS_ERR_TCB_EVALUATION_NUMBER] = {"tcb_evaluation_number",
                                         "the collateral's TCB evaluation data number is below the policy's minimum"},
    [RATLS_ERR_NONCE_MISMATCH] = {"nonce_mismatch", "the quote's report data is not the challenge (stale or replayed)"},
    [RATLS_ERR_EVENTLOG_REPLAY] = {"eventlog_replay", "the event log does not replay to the quote's RTMRs"},
    [RATLS_ERR_CERT_BINDING] = {"cert_binding", "the TLS certificate is not the one the TD logged"},
    [RATLS_ERR_BOOTCHAIN] = {"bootchain", "MRTD or RTMR0-2 differ from the expected boot chain"},
    [RATLS_ERR_OS_IMAGE] = {"os_image", "the OS image hash differs from the expected one"},
    [RATLS_ERR_COMPOSE_HASH] = {"compose_hash", "the app compose differs from the expected one"},
    [RATLS_ERR_KEY_PROVIDER] = {"key_provider", "the key provider differs from the expected one"},
    [RATLS_ERR_CHECK_SKIPPED] = {"check_skipped", "a check was skipped but the policy requires every check"},
    [RATLS_ERR_NETWORK] = {"network", "the collateral service could not be reached or the transfer failed"},
    [RATLS_ERR_TIMEOUT] = {"timeout", "the collateral service did not answer in time"},
    [RATLS_ERR_HTTP_STATUS] = {"http_status", "the collateral service answered with an error status"},
    [RATLS_ERR_COLLATERAL_UNAVAILABLE] = {"collateral_unavailable",
                                          "no valid collateral could be obtained (network, caches and bundles)"},
    [RATLS_ERR_COLLATERAL_MISMATCH] = {"collateral_mismatch",
                                       "the service returned collateral for another platform or CA"},
    [RATLS_ERR_TLS] = {"tls", "the TLS handshake failed or the server's certificate is not trusted"},
    [RATLS_ERR_ATTESTATION_RESPONSE] = {"attestation_response",
                                        "the server did not answer the attestation request properly"},
    [RATLS_ERR_SNP_REPORT_FORMAT] = {"snp_report_format", "the SEV-SNP attestation report is malformed"},
    [RATLS_ERR_SNP_REPORT_SIGNATURE] = {"snp_report_signature",
                                        "the SEV-SNP report signature does not verify under the VCEK"},
    [RATLS_ERR_SNP_TCB_MISMATCH] = {"snp_tcb_mismatch", "the VCEK does not match the report's TCB or chip id"},
    [RATLS_ERR_SNP_POLICY] = {"snp_policy", "the SEV-SNP guest does not meet the policy"},
};

const char *ratls_status_name(ratls_status s)
{
    if ((unsigned)s >= (unsigned)RATLS_STATUS_COUNT_ || !k_status[s].name)
        return "unknown_status";
    return k_status[s].name;
}

const char *ratls_status_str(ratls_status s)
{
    if ((unsigned)s >= (unsigned)RATLS_STATUS_COUNT_ || !k_status[s].text)
        return "unknown status";
    return k_status[s].text;
}

const char *ratls_version(void) { return RATLS_VERSION_STRING; }
