"""SDXL scoring on hand-made inputs with known answers: FID, CLIP score, tokenizer, log scoring."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sdxl_fixture

from harness.codecs import UINT8, Responses
from text_to_image.sdxl import clip_score, coco, fid, metric

torch = pytest.importorskip("torch")
CHECKER = {"CLIP_SCORE": r".*'CLIP_SCORE':\s([\d.]+).*", "FID_SCORE": r".*'FID_SCORE':\s([\d.]+).*"}


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    from text_to_image.sdxl import demo

    torch.set_num_threads(1)  # tiny tensors gain nothing from more; a busy machine makes spinning threads slow
    folder = tmp_path_factory.mktemp("sdxl_scoring")
    demo.build_scoring(folder)
    return folder


def test_fid_of_a_set_with_itself_is_zero():
    feats = np.random.default_rng(0).normal(size=(200, 8)) @ np.random.default_rng(1).normal(size=(8, 8))
    mu, sigma = fid.statistics(feats)
    assert fid.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0, abs=1e-9)


def test_fid_closed_forms():
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    shift = np.array([0.5, -2.0, 1.0])
    assert fid.frechet_distance(np.zeros(3), np.diag(a), shift, np.diag(a)) == pytest.approx(shift @ shift)
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)  # (1-2)^2 + (2-1)^2 + (3-0.5)^2 = 8.25
    assert fid.frechet_distance(np.zeros(3), np.diag(a), np.zeros(3), np.diag(b)) == pytest.approx(expected) == 8.25
    assert isinstance(fid.frechet_distance(np.zeros(3), np.diag(a), np.zeros(3), np.diag(b)), float)


def test_fid_statistics_are_unbiased_and_a_large_imaginary_root_is_an_error():
    feats = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
    mu, sigma = fid.statistics(feats)
    assert mu.tolist() == [2.0, 4.0] and sigma[0, 0] == 4.0  # divides by n - 1
    with pytest.raises(ValueError, match="Imaginary component"):
        fid.frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="different sizes"):
        fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_accuracy_line_matches_the_checker_and_never_prints_numpy_types():
    line = metric.accuracy_line(np.float64(23.373388482563485), np.float64(31.805093820095063))
    assert line == "Accuracy Results: {'FID_SCORE': 23.373388482563485, 'CLIP_SCORE': 31.805093820095063}"
    for name, pattern in CHECKER.items():
        assert float(re.match(pattern, line).group(1)) == {"FID_SCORE": 23.373388482563485,
                                                             "CLIP_SCORE": 31.805093820095063}[name]


def test_captions_tsv_reads_quoted_captions_and_rejects_other_files(tmp_path):
    captions = ['A "quoted" word, and a tab-free caption', "plain", 'end quote "x"']
    coco.write_captions(tmp_path / "c.tsv", captions)
    assert '"A ""quoted"" word' in (tmp_path / "c.tsv").read_text()
    assert coco.read_captions(tmp_path / "c.tsv") == captions
    (tmp_path / "bad.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="header"):
        coco.read_captions(tmp_path / "bad.tsv")
    (tmp_path / "ids.txt").write_text("4655\n2569\n1303\n")
    assert coco.read_sample_ids(tmp_path / "ids.txt") == [4655, 2569, 1303]


def test_clip_preprocess_resizes_the_short_side_and_crops_the_centre():
    from PIL import Image

    rng = np.random.default_rng(3)
    tall = Image.fromarray(rng.integers(0, 256, size=(90, 40, 3), dtype=np.uint8))
    out = clip_score.preprocess(tall, 20)
    resized = tall.resize((20, 45), Image.BICUBIC)  # 20 * 90 / 40 = 45
    top = int(round((45 - 20) / 2.0))  # torchvision rounds 12.5 to 12
    crop = np.asarray(resized.crop((0, top, 20, top + 20)), dtype=np.float32) / np.float32(255)
    expected = ((crop - clip_score.OPENAI_MEAN) / clip_score.OPENAI_STD).transpose(2, 0, 1)
    assert out.shape == (3, 20, 20) and np.array_equal(out, expected)


def test_tokenizer_cleans_text_and_puts_end_in_the_last_slot(stand_ins):
    from text_to_image.sdxl.clip_tokenizer import ClipTokenizer

    tok = ClipTokenizer(stand_ins / "tokenizer" / "bpe_tiny_vocab.txt.gz")
    ids = tok(["The  cat &amp;amp; dog", "the cat & dog", "x " * 100])
    assert ids.shape == (3, 77) and ids.dtype == np.int64
    assert ids[0].tolist() == ids[1].tolist()  # html unescaped twice, whitespace collapsed, lower case
    assert ids[0, 0] == tok.start and tok.end in ids[0] and ids[0, ids[0].tolist().index(tok.end) + 1:].sum() == 0
    assert ids[2, 0] == tok.start and ids[2, -1] == tok.end and (ids[2] > 0).all()  # cut at 77, end token last
    the = tok.encoder["the</w>"]  # the merges t+h, th+e</w> make one token
    assert tok.encode("the") == [the] and tok.encode("THE the") == [the, the]


def test_clip_score_equals_a_direct_computation(stand_ins):
    from PIL import Image

    s = sdxl_fixture.scorers(stand_ins)
    image = np.random.default_rng(4).integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    img, txt = sdxl_fixture._clip_features(s.clip, Image.fromarray(image), "a cat on a sofa")
    direct = 100 * float(img @ txt / np.linalg.norm(img) / np.linalg.norm(txt))
    assert s.clip.score(Image.fromarray(image), "a cat on a sofa") == pytest.approx(direct, rel=1e-5)
    assert s.clip.scores([Image.fromarray(image)] * 2, ["a", "b"])[0] == pytest.approx(s.clip.score(
        Image.fromarray(image), "a"))


def test_clip_weights_load_from_a_torchscript_archive_without_running_it(stand_ins, tmp_path):
    from text_to_image.sdxl import clip_model

    reference = clip_model.load(stand_ins / "clip_tiny.pt")

    holder = torch.nn.Module()  # plain containers holding OpenAI CLIP's tensor names, scripted
    for name, value in reference.state_dict().items():
        *path, leaf = name.split(".")
        node = holder
        for part in path:
            if not hasattr(node, part):
                node.add_module(part, torch.nn.Module())
            node = getattr(node, part)
        node.register_parameter(leaf, torch.nn.Parameter(value.clone()))

    torch.jit.save(torch.jit.script(holder), tmp_path / "clip.pt")
    loaded = clip_model.load(tmp_path / "clip.pt")
    for name, value in reference.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name
    assert loaded.cfg == reference.cfg and loaded.cfg.vision_layers == 2 and loaded.cfg.image_size == 64


def test_openai_tensors_pass_through_float16_as_open_clip_loads_them(stand_ins, tmp_path):
    from text_to_image.sdxl import clip_model

    state = torch.load(stand_ins / "clip_tiny.pt", weights_only=True)
    state["visual.proj"] = state["visual.proj"] + 1e-5  # not representable in float16
    torch.save(state, tmp_path / "clip.pt")
    model = clip_model.load(tmp_path / "clip.pt")
    assert torch.equal(model.visual.proj, state["visual.proj"].half().float())
    assert torch.equal(model.ln_final.weight, state["ln_final.weight"])  # layer norms stay float32


def test_inception_sizes():
    from text_to_image.sdxl.inception import FidInception, InceptionConfig

    real = FidInception()
    assert real.cfg.features == 2048 and len(real.state_dict()) == 566  # as pt_inception-2015-12-05
    tiny = FidInception(InceptionConfig(width=32)).eval()
    with torch.no_grad():
        assert tiny(torch.rand(2, 3, 32, 32)).shape == (2, 64)


def test_the_scoring_files_are_declared_with_their_own_checksums():
    from text_to_image.sdxl.benchmark import BENCHMARK

    vocab, stats = BENCHMARK.artifact("clip_vocab"), BENCHMARK.artifact("statistics")
    assert vocab.member_sha256 == "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
    assert stats.git_blob == "806479d0693a33110526b6689aa26baddd995c7b"  # val2014.npz in upstream's tree


def test_scoring_streams_dedupes_and_saves_the_listed_images(stand_ins, tmp_path):
    rng = np.random.default_rng(5)
    images = [rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8) for _ in range(6)]
    captions = coco.read_captions(stand_ins / "captions" / "captions_source.tsv")
    order = [3, 0, 5, 2, 1, 4]
    entries = [sdxl_fixture.entry(s, i, images[i]) for s, i in enumerate(order)]
    entries.insert(2, sdxl_fixture.entry(9, 0, images[4]))  # a repeat of qsl 0: ignored
    log = sdxl_fixture.write_log(tmp_path / "mlperf_log_accuracy.json", entries)
    score = metric.score_responses(Responses(log, UINT8, size=len(captions)), captions,
                                   sdxl_fixture.scorers(stand_ins), [5, 2, 11], tmp_path / "images", batch_size=4)
    fid_score, clip = sdxl_fixture.expected_scores(stand_ins, [images[i] for i in order],
                                                   [captions[i] for i in order])
    assert score.scored == 6 and score.duplicates == 1
    # six images give a rank-5 covariance: its square root magnifies batch-size rounding, hence 1e-4
    assert score.values["FID_SCORE"] == pytest.approx(fid_score, rel=1e-4)
    assert score.values["CLIP_SCORE"] == pytest.approx(clip, rel=1e-5)
    assert score.lines == [metric.accuracy_line(score.values["FID_SCORE"], score.values["CLIP_SCORE"])]
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["2.png", "5.png", "captions.txt"]
    assert (tmp_path / "images" / "captions.txt").read_text() == f"5  {captions[5]}\n2  {captions[2]}\n"
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(tmp_path / "images" / "5.png")), images[5])
    assert any("not comparable" in n for n in score.notes)
    with pytest.raises(ValueError, match="square"):
        metric.as_image(np.zeros(15, np.uint8))  # 5 pixels: not a square image
