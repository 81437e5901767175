#!/usr/bin/env python3
"""Independent verifier of EU Digital COVID Certificates (HC1 strings), an outside check for the
Swift tests. Run it with the python that scripts/dcc-verify-venv.sh prints:

    dcc-verify.py --certificate FILE [--at ISO8601] TEXT

FILE is the PEM or DER X.509 signing certificate; TEXT is the "HC1:..." string, or "-" to read it
from standard input. Prints one JSON object (valid, reason, kid, alg, iss, iat, exp, dcc: as much
as was decoded) and exits 0 when valid, 1 when invalid, 2 on a usage error.

Pipeline: HC1 prefix -> base45 -> zlib -> COSE_Sign1 (untagged, tag 18, or tag 61 around tag 18)
-> kid = first 8 bytes of SHA-256(certificate DER) -> ES256 or PS256 signature over the
Sig_structure built from the protected header bytes as received -> CWT claims and iat <= at < exp.
"""
import argparse
import base64
import datetime
import hashlib
import io
import json
import sys
import zlib

import base45
import cbor2
from cose import headers
from cose.messages import Sign1Message
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ES256, PS256 = -7, -37
ALG_NAMES = {ES256: "ES256", PS256: "PS256"}


class Invalid(Exception):
    """The certificate under test is not valid; the message is the reason."""


def cbor_exact(data, what):
    """Decodes one CBOR item and insists nothing follows it (a trailing byte is an issuer bug)."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception as e:
        raise Invalid(f"{what} is not CBOR: {e}")
    if stream.tell() != len(data):
        raise Invalid(f"{what} has {len(data) - stream.tell()} trailing bytes")
    return item


def jsonable(x):
    """Turns decoded CBOR into something json.dumps takes (bytes as base64, dates as ISO 8601)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, bytes):
        return base64.b64encode(x).decode()
    if isinstance(x, (datetime.date, datetime.datetime)):
        return x.isoformat()
    if isinstance(x, cbor2.CBORTag):
        return {"tag": x.tag, "value": jsonable(x.value)}
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return str(x)


def verify(text, cert, at, out):
    """Checks the HC1 text against the certificate at time `at` (seconds since the epoch), filling
    `out` with what it decodes on the way. Raises Invalid with the first failure."""
    if not text.startswith("HC1:"):
        raise Invalid("missing HC1: prefix")
    try:
        compressed = base45.b45decode(text[4:])
    except Exception as e:
        raise Invalid(f"base45: {e}")
    try:
        inflater = zlib.decompressobj()
        cose_bytes = inflater.decompress(compressed)
    except zlib.error as e:
        raise Invalid(f"zlib: {e}")
    if not inflater.eof or inflater.unused_data:
        raise Invalid("zlib: truncated stream or trailing data")

    # Unwrap the COSE_Sign1 array; accept it untagged, as tag 18, or as tag 61 (CWT) around tag 18.
    obj = cbor_exact(cose_bytes, "COSE message")
    if isinstance(obj, cbor2.CBORTag) and obj.tag == 61:
        obj = obj.value
        if not (isinstance(obj, cbor2.CBORTag) and obj.tag == 18):
            raise Invalid("tag 61 does not wrap a tag 18 COSE_Sign1")
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != 18:
            raise Invalid(f"unexpected CBOR tag {obj.tag}")
        obj = obj.value
    if not (isinstance(obj, list) and len(obj) == 4 and isinstance(obj[0], bytes)):
        raise Invalid("not a COSE_Sign1 array [protected bstr, unprotected, payload, signature]")
    protected_raw = obj[0]  # signed as received, never re-encoded

    # The cose package decodes the headers (it wants the tag, so hand it a tag 18 message). Its
    # own signing/verifying re-encodes the protected header, so the signature is checked below.
    try:
        msg = Sign1Message.decode(cbor2.dumps(cbor2.CBORTag(18, obj)))
    except Exception as e:
        raise Invalid(f"COSE_Sign1: {e}")
    if not isinstance(msg.signature, bytes):
        raise Invalid("signature is not a byte string")

    # kid and alg come from the protected header, or from the unprotected one when absent there
    # (as in the EU test vector CO20); the signature check below still ties alg to the key type.
    # The cose package keys headers by attribute class and turns alg into a class (e.g. Es256).
    kid, alg = (msg.phdr.get(h, msg.uhdr.get(h)) for h in (headers.KID, headers.Algorithm))
    if isinstance(kid, bytes):
        out["kid"] = base64.b64encode(kid).decode()
    alg_id = getattr(alg, "identifier", alg)
    out["alg"] = ALG_NAMES.get(alg_id, getattr(alg, "fullname", jsonable(alg)))

    # The CWT claims, decoded before the signature is checked so a failure still shows them.
    claims = cbor_exact(msg.payload, "CWT payload")
    if not isinstance(claims, dict):
        raise Invalid("CWT payload is not a map")
    out["iss"], out["iat"], out["exp"] = (jsonable(claims.get(k)) for k in (1, 6, 4))
    hcert = claims.get(-260)
    if not (isinstance(hcert, dict) and isinstance(hcert.get(1), dict)):
        raise Invalid("claim -260 (hcert) lacks the map {1: dcc}")
    out["dcc"] = jsonable(hcert[1])

    der = cert.public_bytes(serialization.Encoding.DER)
    expected_kid = hashlib.sha256(der).digest()[:8]
    if kid != expected_kid:
        raise Invalid(f"kid is not the certificate's ({base64.b64encode(expected_kid).decode()})")

    # Sig_structure = ["Signature1", protected header bytes, external_aad = b"", payload]
    to_be_signed = cbor2.dumps(["Signature1", protected_raw, b"", msg.payload])
    key = cert.public_key()
    try:
        if alg_id == ES256:
            if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
                raise Invalid("ES256 but the certificate key is not EC P-256")
            if len(msg.signature) != 64:
                raise Invalid(f"ES256 signature is {len(msg.signature)} bytes, not 64 (r||s)")
            r, s = (int.from_bytes(msg.signature[i:i + 32], "big") for i in (0, 32))
            key.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))
        elif alg_id == PS256:
            if not isinstance(key, rsa.RSAPublicKey):
                raise Invalid("PS256 but the certificate key is not RSA")
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            key.verify(msg.signature, to_be_signed, pss, hashes.SHA256())
        else:
            raise Invalid(f"alg {alg_id!r} is neither ES256 (-7) nor PS256 (-37)")
    except InvalidSignature:
        raise Invalid("signature does not verify")

    iat, exp = claims.get(6), claims.get(4)
    for name, value in (("iat (6)", iat), ("exp (4)", exp)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(f"claim {name} is missing or not a number")
    if at < iat:
        raise Invalid("not yet valid: at < iat")
    if at >= exp:
        raise Invalid("expired: at >= exp")


def parse_at(value):
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {value!r}")
    if moment.tzinfo is None:  # a time without an offset is taken as UTC
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def load_certificate(path):
    with open(path, "rb") as f:
        data = f.read()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def main():
    parser = argparse.ArgumentParser(description="Verify an EU DCC (HC1:...) against a signing certificate.")
    parser.add_argument("--certificate", required=True, metavar="FILE", help="PEM or DER X.509 signing certificate")
    parser.add_argument("--at", type=parse_at, metavar="ISO8601", help="validation time (default: now)")
    parser.add_argument("text", metavar="TEXT", help='the HC1:... string, or "-" for standard input')
    args = parser.parse_args()
    try:
        cert = load_certificate(args.certificate)
    except (OSError, ValueError) as e:
        parser.error(f"cannot read certificate {args.certificate}: {e}")  # exits 2
    # Only line breaks are stripped from standard input: a space is a base45 digit.
    text = sys.stdin.read().rstrip("\r\n") if args.text == "-" else args.text
    at = args.at if args.at is not None else datetime.datetime.now(datetime.timezone.utc).timestamp()

    out = {"valid": False, "reason": None}
    try:
        verify(text, cert, at, out)
        out.update(valid=True, reason="ok")
    except Invalid as e:
        out["reason"] = str(e)
    except Exception as e:  # a malformed input that slipped past the checks is invalid, not a crash
        out["reason"] = f"unexpected {type(e).__name__}: {e}"
    print(json.dumps(out))
    return 0 if out["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
