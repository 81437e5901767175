#!/usr/bin/env python3
"""The `vaxtrace en` commands end to end, as a user runs them (standard library only):
export inspect on both published samples (the right key, another key, a flipped byte), `en risk`
on every case of both Corona-Warn-App test files, and a small `en simulate` run."""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

BINARY = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/vaxtrace"
FIXTURES = "Tests/ExposureNotificationTests/Fixtures"
failures = []


def run(*args):
    result = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout, result.stderr


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


with tempfile.TemporaryDirectory() as folder:
    other = os.path.join(folder, "other.pem")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", os.path.join(folder, "k.pem")], check=True)
    subprocess.run(["openssl", "ec", "-in", os.path.join(folder, "k.pem"), "-pubout", "-out", other], check=True, capture_output=True)

    sample = f"{FIXTURES}/ens_examples_testExport-2-records-1-of-1.zip"
    code, out, _ = run("en", "export", "inspect", "--public-key", f"{FIXTURES}/ens_examples_public.pem", sample)
    header = json.loads(out)
    check(code == 0 and header["signature"] == "valid" and header["keyCount"] == 2 and header["region"] == "US"
          and header["batchNum"] == 1 and header["batchSize"] == 1 and header["startTimestamp"] == 1590159600
          and header["endTimestamp"] == 1590246000, "en export inspect: the key server example verifies with public.pem")
    code, out, _ = run("en", "export", "inspect", "--public-key", other, sample)
    check(code == 1 and json.loads(out)["signature"] == "invalid", "en export inspect: another key gives invalid, exit 1")

    # A flipped byte inside export.bin, as a loose .bin with its .sig beside it.
    with zipfile.ZipFile(sample) as archive:
        binary = bytearray(archive.read("export.bin"))
        signature = archive.read("export.sig")
    binary[binary.find(bytes.fromhex("172fc480")) + 3] ^= 1  # inside the first key's bytes
    with open(os.path.join(folder, "export.bin"), "wb") as handle:
        handle.write(binary)
    with open(os.path.join(folder, "export.sig"), "wb") as handle:
        handle.write(signature)
    code, out, _ = run("en", "export", "inspect", "--public-key", f"{FIXTURES}/ens_examples_public.pem", os.path.join(folder, "export.bin"))
    check(code == 1 and json.loads(out)["signature"] == "invalid", "en export inspect: a flipped key byte gives invalid")
    binary[16] ^= 0x07  # the start timestamp's wire type: not an export any more
    with open(os.path.join(folder, "export.bin"), "wb") as handle:
        handle.write(binary)
    code, out, err = run("en", "export", "inspect", os.path.join(folder, "export.bin"))
    check(code != 0 and "wire type" in err, "en export inspect: a damaged file is refused with the reason")

    internals = f"{FIXTURES}/internals_sample_diagnosis_key_file.zip"
    decoded = json.load(open(f"{FIXTURES}/internals_sample_diagnosis_key_file.decoded.json"))
    pem = os.path.join(folder, "310.pem")
    with open(pem, "w") as handle:
        key = decoded["public_keys"]["310-v1"]
        handle.write("-----BEGIN PUBLIC KEY-----\n" + key + "\n-----END PUBLIC KEY-----\n")
    code, out, _ = run("en", "export", "inspect", "--public-key", pem, internals)
    header = json.loads(out)
    check(code == 0 and header["signature"] == "valid" and header["keyCount"] == len(decoded["export.bin"]["keys"]),
          "en export inspect: the internals sample verifies with key 310")

    # Every case of both risk files through the command line.
    names = {"totalRiskLevel", "totalMinimumDistinctEncountersWithLowRisk", "totalMinimumDistinctEncountersWithHighRisk",
             "ageOfMostRecentDateWithLowRisk", "ageOfMostRecentDateWithHighRisk", "numberOfDaysWithLowRisk", "numberOfDaysWithHighRisk"}
    for name in ["cwa_android_exposure-windows-risk-calculation.HEAD.json", "cwa_android_exposure-windows-risk-calculation.v2config_2021-03.json"]:
        path = f"{FIXTURES}/{name}"
        cases = json.load(open(path))["testCases"]
        passed = 0
        for case in cases:
            windows = os.path.join(folder, "windows.json")
            with open(windows, "w") as handle:
                json.dump(case["exposureWindows"], handle)
            code, out, err = run("en", "risk", "--parameters", path, "--windows", windows)
            result = json.loads(out) if code == 0 else {}
            if set(result) == names and all(result[key] == case["exp" + key[0].upper() + key[1:]] for key in names):
                passed += 1
            else:
                print(f"     {case['description']}: {out or err}")
        check(passed == len(cases), f"en risk: {passed} of {len(cases)} cases of {name}")

code, out, err = run("en", "simulate", "--phones", "60", "--days", "4", "--cases", "2")
lines = [line for line in out.splitlines() if line.startswith(("world:", "server:", "result:", "time from"))]
for line in lines:
    print("     " + line)
check(code == 0 and any(line.startswith("result:") for line in lines), "en simulate: a small world runs through the HTTP API")

print(f"en commands: {len(failures)} failed")
sys.exit(1 if failures else 0)
