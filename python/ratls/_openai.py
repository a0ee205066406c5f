"""OpenAI SDK clients over RA-TLS httpx clients."""


def _sdk():
    try:
        import openai
    except ImportError:
        raise ImportError(
            "ratls.OpenAI / ratls.AsyncOpenAI need the OpenAI Python SDK: install the `openai` package "
            "(pip install openai), or pass ratls.httpx.Client(...) as http_client to an OpenAI client yourself"
        ) from None
    return openai


def _build(sdk_cls, client_cls, args, kwargs):
    verifiers = kwargs.pop("ratls_verifier_per_hostname", None)
    if kwargs.get("http_client") is not None:
        if verifiers:
            raise ValueError("ratls: give ratls_verifier_per_hostname or http_client, not both")
    else:
        kwargs["http_client"] = client_cls(ratls_verifier_per_hostname=verifiers)
    return sdk_cls(*args, **kwargs)


def OpenAI(*args, **kwargs):
    """openai.OpenAI(..., http_client=ratls.httpx.Client(ratls_verifier_per_hostname=...))."""
    sdk = _sdk()
    from . import httpx

    return _build(sdk.OpenAI, httpx.Client, args, kwargs)


def AsyncOpenAI(*args, **kwargs):
    """openai.AsyncOpenAI(..., http_client=ratls.httpx.AsyncClient(ratls_verifier_per_hostname=...))."""
    sdk = _sdk()
    from . import httpx

    return _build(sdk.AsyncOpenAI, httpx.AsyncClient, args, kwargs)
