"""Runs checks from stdin (JSON) through an independent Python tlog library; prints the answers as JSON.

Usage: python3 tlog-crosscheck.py DIR_OF_TLOG_PY < checks.json
The TypeScript tests (libs/transparency, apps/witness) send what the project produced and compare.
"""
import base64
import json
import sys

sys.path.insert(0, sys.argv[1])
import tlog  # noqa: E402  (the path is only known at run time)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

b64d = base64.b64decode


def b64e(b: bytes) -> str:
    return base64.b64encode(b).decode()


def root(c):
    return b64e(tlog.mth([b64d(x) for x in c["leaves"]]))


def inclusion_path(c):
    return [b64e(h) for h in tlog.inclusion_path(c["index"], [b64d(x) for x in c["leaves"]])]


def consistency_path(c):
    return [b64e(h) for h in tlog.consistency_path(c["old"], [b64d(x) for x in c["leaves"]])]


def verify_inclusion(c):
    return tlog.verify_inclusion(c["index"], c["size"], tlog.leaf_hash(b64d(c["leaf"])),
                                 [b64d(h) for h in c["path"]], b64d(c["root"]))


def verify_consistency(c):
    return tlog.verify_consistency(c["old"], c["new"], b64d(c["oldRoot"]), b64d(c["newRoot"]),
                                   [b64d(h) for h in c["path"]])


def vkey(c):
    v = tlog.Vkey(c["vkey"])
    return {"name": v.name, "type": v.type, "keyId": v.key_id.hex(), "publicKey": b64e(v.pub)}


def signed_by(c):
    return tlog.Note(c["note"]).signed_by(tlog.Vkey(c["vkey"]))


def cosigned_by(c):
    return tlog.Note(c["note"]).cosigned_by(tlog.Vkey(c["vkey"]))


def proof(c):
    p = tlog.Proof(c["proof"])
    ok = p.verify() and p.note.signed_by(tlog.Vkey(c["logVkey"]))
    return ok and all(p.note.cosigned_by(tlog.Vkey(w)) for w in c["witnessVkeys"])


def make(c):
    """A checkpoint, cosignature and proof made by the Python side, for the TypeScript side to verify."""
    leaves = [b64d(x) for x in c["leaves"]]
    log_key, w_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    lv_text = tlog.make_vkey(c["logName"], log_key, 1)
    wv_text = tlog.make_vkey(c["witnessName"], w_key, 4)
    lv, wv = tlog.Vkey(lv_text), tlog.Vkey(wv_text)
    body = f"{c['logName']}\n{len(leaves)}\n{b64e(tlog.mth(leaves))}\n"
    note = body + "\n" + tlog.sign_note(body, lv.name, log_key, lv.key_id) + \
        tlog.cosign_note(body, wv.name, w_key, wv.key_id, c["time"])
    i = c["index"]
    text = "c2sp.org/tlog-proof@v1\nextra " + b64e(leaves[i]) + f"\nindex {i}\n" + \
        "".join(b64e(h) + "\n" for h in tlog.inclusion_path(i, leaves)) + "\n" + note
    return {"logVkey": lv_text, "witnessVkey": wv_text, "note": note, "proof": text}


KINDS = {f.__name__: f for f in (root, inclusion_path, consistency_path, verify_inclusion, verify_consistency,
                                  vkey, signed_by, cosigned_by, proof, make)}


def run(c):
    try:
        return {"ok": True, "value": KINDS[c["kind"]](c)}
    except Exception as e:  # an answer per check: a refusal is a result too
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


if __name__ == "__main__":
    tlog.self_test()
    print(json.dumps([run(c) for c in json.load(sys.stdin)]))
