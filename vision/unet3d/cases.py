"""The KiTS19 inference set of the reference (``meta/inference_cases.json``) and its checksums.

The 43rd case, ``case_00400``, is the reference's copy of ``case_00185``: the reference makes it by
copying the raw folder; here it is read from ``case_00185`` when no ``case_00400`` folder exists.
``REFERENCE_MD5`` is ``meta/checksum_inference.json``: the MD5 of each preprocessed pickle as the
reference wrote it.
"""

from __future__ import annotations

INFERENCE_CASES = tuple(f"case_{n:05d}" for n in (
    0, 3, 5, 6, 12, 24, 34, 41, 44, 49, 52, 56, 61, 65, 66, 70, 76, 78, 80, 84, 86, 87, 92, 111, 112, 125,
    128, 138, 157, 160, 161, 162, 169, 171, 176, 185, 187, 189, 198, 203, 206, 207, 400))

COPIES = {"case_00400": "case_00185"}

REFERENCE_MD5 = {
    "case_00000": "470ec60377be417a9c271ffd81c1d610", "case_00003": "a5536433cf1c01aaa8c4293ef59a826c",
    "case_00005": "dbb4141573d72278c1724debe16311f5", "case_00006": "4a81aa95c7a7613138d9c148eea05a66",
    "case_00012": "a4f576fd327ba35242802b01f204dede", "case_00024": "f0c24290a38491c3a3901e389df345bc",
    "case_00034": "a40e1ef70291072b4790f2d3056972cc", "case_00041": "4ddaf586d0a7ea7f55491f9ec776ad24",
    "case_00044": "b7b2e115ed7fcd3e0e757ff8ac164733", "case_00049": "0b7d71d0c11458a602d71490449943d3",
    "case_00052": "7fd78f6dd694fe90ff6b5332c6c30f19", "case_00056": "1ff976858ecd43a9045b2c571ac18b42",
    "case_00061": "f631a2edb275f4fa2bc662c210dc29e2", "case_00065": "c7d63dc01cf8ca5c08075c0dee7fd9ae",
    "case_00066": "d3741a5f717ca978f3bb49fabd2d6651", "case_00070": "347b40ea5c3e30a8e313f6fad5504acd",
    "case_00076": "d572f849e8de3e352009f7156f0988ce", "case_00078": "de564386f95f97c9c276e11883acb018",
    "case_00080": "23cd0e88a3c1f7995082137bb7d5ab7b", "case_00084": "2a61a63abff567c4b107efeec24528ad",
    "case_00086": "69453d214225bcc67417c1726b1c6f31", "case_00087": "3ef7fc6c59b3a629fb4feddca92825f0",
    "case_00092": "4da4423b41cc606f42ad40fa769229af", "case_00111": "9f43e5824fd5459bfa7d523197346003",
    "case_00112": "18b9a976fd0683990a997241f1f6c588", "case_00125": "10c8971914f9d7beb66ff2d5e87f3bf4",
    "case_00128": "f1c1d420474ad5254ffdd6d8fbaffaa9", "case_00138": "8661d26af4271de29fb8593d1da3f195",
    "case_00157": "55a47901624695e3aacd9b0fb8467555", "case_00160": "0b1b2d50203070898af64ac6457c7568",
    "case_00161": "0e4b57e587e36042d5473de11d1792c2", "case_00162": "89f53aac7e1a421505f9b6cacdc5f09e",
    "case_00169": "f6c0594e20016e2b5086eae22963d051", "case_00171": "00a2700e3ff23896d7fd1ca5a30ddf6a",
    "case_00176": "430f5f2da6247f52b68346d549ed672e", "case_00185": "2ae858449b63e2fe4466c29087540e9c",
    "case_00187": "15022874121b70aa7f5f18d1a197816b", "case_00189": "966297c3adc7766655e050220b840dee",
    "case_00198": "cbfbd56f5c1a2570cc9d73c9fad8222a", "case_00203": "f82f9adab8d3ea22391a2e9af5572288",
    "case_00206": "0e59b9a2ef5bd4549938a97d136b06a8", "case_00207": "4c437995fb990736385e0dc2241255aa",
    "case_00400": "2ae858449b63e2fe4466c29087540e9c",
}

assert len(INFERENCE_CASES) == 43 and set(INFERENCE_CASES) == set(REFERENCE_MD5)
