"""Every registered model on tiny inputs: trains, predicts, round-trips through a checkpoint."""

from __future__ import annotations

import argparse
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.support.processes import REPO
from training import train as train_program
from training.engine import TrainSettings, load_data
from worldnet_core.checkpoint import CheckpointError, load_model, save_checkpoint
from worldnet_core.demo_world import PAPER_CITIES, generate_world
from worldnet_core.device import cpu_has_native_bf16, select_device
from worldnet_core.land import is_land
from worldnet_core.model_choices import TORCHVISION_BACKBONES
from worldnet_core.models import create_model, list_models
from worldnet_core.models.backbones import create_backbone
from worldnet_core.models.baselines import MeanModel
from worldnet_core.models.clustering import centroids_kmeans, make_centroids
from worldnet_core.models.worldnet import interpolate
from worldnet_core.predictor import Predictor

SIZE = (64, 96)
PLACES = [PAPER_CITIES[i] for i in (7, 17, 3, 15)]  # London, Paris, Brussels, Osaka


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    generate_world(out, places=PLACES, per_city=6, seed=0)
    return out


@pytest.fixture(scope="module")
def tiny_data(tiny_world):
    from worldnet_core.readers import read_imageset

    return load_data(read_imageset(tiny_world), SIZE, progress=False)


def tiny_args(**overrides) -> argparse.Namespace:
    args = train_program.get_args_parser().parse_args(
        ["--epochs", "1", "--head-epochs", "1", "--batch-size", "8", "--image-size", *map(str, SIZE), "--no-progress", "--device", "cpu"]
    )
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def settings() -> TrainSettings:
    return train_program.settings_from(tiny_args())


@pytest.mark.parametrize("name", list_models())
def test_it_trains_and_predicts_every_registered_model(name, tiny_data):
    model = train_program.train_model(name, tiny_data, tiny_args(), settings(), log=lambda m: None)
    predictions = Predictor(model, device="cpu").predict_tensor(tiny_data.images[:5])
    assert len(predictions) == 5
    for p in predictions:
        assert -90 <= p.lat <= 90 and -180 <= p.lon <= 180
        assert np.isfinite([p.lat, p.lon]).all()
    assert bool(predictions[0].top) == (name == "worldnet")


@pytest.mark.parametrize("name", list_models())
def test_it_round_trips_a_checkpoint_to_identical_predictions(name, tiny_data, tmp_path):
    model = train_program.train_model(name, tiny_data, tiny_args(seed=3), settings(), log=lambda m: None)
    path = save_checkpoint(model, tmp_path / f"{name}.pt", metrics={"seen": {"mean_km": 1.0}})
    before = Predictor(model, device="cpu").predict_tensor(tiny_data.images[:6])
    loaded = Predictor.load(path, device="cpu")
    # The stochastic baselines restart their generator from their seed; so does a fresh copy.
    if name in ("random", "guess"):
        model, _ = load_model(path)
        before = Predictor(model, device="cpu").predict_tensor(tiny_data.images[:6])
    after = loaded.predict_tensor(tiny_data.images[:6])
    assert [(p.lat, p.lon, p.top) for p in after] == [(p.lat, p.lon, p.top) for p in before]
    assert loaded.metrics == {"seen": {"mean_km": 1.0}}


def test_it_gives_worldnets_top_five_places_with_probabilities(tiny_data):
    model = train_program.train_model("worldnet", tiny_data, tiny_args(), settings(), log=lambda m: None)
    top = Predictor(model, device="cpu").predict_tensor(tiny_data.images[:1])[0].top
    assert [name for name, _ in top] and {name for name, _ in top} <= {p.name for p in PLACES}
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True) and 0.99 < sum(probabilities) <= 1.0001  # 4 places: all of them


def test_it_snaps_every_prediction_to_land(tiny_data):
    at_sea = MeanModel(lat=30.0, lon=-40.0)  # the mid-Atlantic
    predictions = Predictor(at_sea, device="cpu").predict_tensor(tiny_data.images[:3])
    assert all(is_land(p.lat, p.lon) for p in predictions)


def test_it_gives_finite_gradients_through_worldnet_with_the_haversine_loss():
    from worldnet_core.geo_torch import haversine_loss

    model = create_model("worldnet", centroids=[[51.5, -0.1], [48.9, 2.3], [-33.9, 151.2]], image_size=SIZE)
    images = torch.rand(4, 3, *SIZE)
    target = torch.tensor([[51.5, -0.1], [51.5, -0.1], [48.9, 2.3], [0.0, 0.0]])
    # Push the weights so hard towards one centroid that some predictions sit on it (0 km).
    with torch.no_grad():
        model.classifier[1].bias.copy_(torch.tensor([40.0, 0.0, 0.0]))
    loss = haversine_loss(model(images).latlon, target)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_it_interpolates_on_the_sphere_across_the_antimeridian():
    centroids = torch.tensor([[0.0, 179.0], [0.0, -179.0]])
    weights = torch.tensor([[0.5, 0.5]])
    assert abs(float(interpolate(weights, centroids, "sphere")[0, 1])) == pytest.approx(180.0, abs=1e-3)
    assert float(interpolate(weights, centroids, "latlon")[0, 1]) == pytest.approx(0.0)  # the paper's: Africa


def test_it_clusters_by_place_or_by_kmeans():
    lat = np.array([48.85, 48.86, -33.9, -33.8, 35.6, 35.7])
    lon = np.array([2.35, 2.36, 151.2, 151.3, 139.7, 139.6])
    by_place = make_centroids(lat, lon, np.array(["P", "P", "S", "S", "T", "T"]))
    assert by_place.names == ["P", "S", "T"] and list(by_place.labels) == [0, 0, 1, 1, 2, 2]
    kmeans = centroids_kmeans(lat, lon, seed=0, max_k=4)
    assert len(kmeans.names) == 3 and len(set(kmeans.labels[[0, 2, 4]])) == 3
    assert any("France" in name for name in kmeans.names)


def test_it_fails_clearly_on_corrupt_or_foreign_checkpoints(tmp_path, tiny_data):
    model = MeanModel.fit(np.array([10.0]), np.array([20.0]))
    good = save_checkpoint(model, tmp_path / "good.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match=r"truncated\.pt is corrupt or not a torch file"):
        Predictor.load(truncated)
    noise = tmp_path / "noise.pt"
    noise.write_bytes(b"\x00not a checkpoint at all" * 10)
    with pytest.raises(CheckpointError, match=r"noise\.pt is corrupt"):
        Predictor.load(noise)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a worldNET checkpoint"):
        Predictor.load(foreign)
    payload = torch.load(good, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="format version 99; this worldnet_core reads versions 1, 2"):
        Predictor.load(tmp_path / "future.pt")
    payload["format_version"] = 2
    del payload["preprocessing"]
    torch.save(payload, tmp_path / "unsized.pt")
    with pytest.raises(CheckpointError, match=r"unsized\.pt has no preprocessing"):
        Predictor.load(tmp_path / "unsized.pt")
    payload["format_version"] = 1
    payload["model"] = "worldnet"
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="does not fit its model 'worldnet'"):
        Predictor.load(tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        Predictor.load(tmp_path / "missing.pt")


def test_the_checkpoint_alone_decides_the_input_size_and_normalisation(tmp_path):
    model = create_model("worldnet", centroids=[[48.85, 2.35], [-33.9, 151.2]], image_size=(48, 64))
    assert "image_size" not in model.config  # the preprocessing holds it, once
    path = save_checkpoint(model, tmp_path / "w.pt")
    payload = torch.load(path, weights_only=True)
    assert payload["preprocessing"] == {"size": [48, 64], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    assert not any(key.startswith("normalize.") for key in payload["state_dict"])  # the preprocessing is their one record
    payload["preprocessing"] = {"size": [32, 40], "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}
    torch.save(payload, path)
    loaded = Predictor.load(path, device="cpu")
    assert loaded.size == (32, 40) and loaded.model.preprocessing.mean == (0.5, 0.5, 0.5)
    assert torch.equal(loaded.model.normalize.std.flatten(), torch.full((3,), 0.25))


def test_the_training_programs_flags_default_to_a_default_model():
    from worldnet_core.models import model_defaults

    args = train_program.get_args_parser().parse_args([])
    worldnet, knn = model_defaults("worldnet"), model_defaults("knn")
    for flag in ("backbone", "interpolation", "mode_bandwidth_km", "mode_radius_km", "head_members", "retrieval_weight", "retrieval_k"):
        assert getattr(args, flag) == worldnet[flag], flag
    assert (args.knn_k, args.knn_bandwidth_km, args.no_pretrained) == (knn["k"], knn["bandwidth_km"], not worldnet["pretrained"])
    settings = TrainSettings()
    for flag in ("epochs", "head_epochs", "batch_size", "lr", "weight_decay", "workers", "seed", "label_smoothing_km"):
        assert getattr(args, flag) == getattr(settings, flag), flag
    assert create_model("worldnet").preprocessing == train_program.default_preprocessing(args.backbone)


@pytest.mark.parametrize("name", ["worldnet", "regression"])
def test_it_loads_a_checkpoint_written_before_the_preprocessing_was_read_back(name, tmp_path):
    """Format 1, as its oldest files are: the size in the config only, no preprocessing, one interpolation MLP."""
    torch.manual_seed(0)
    if name == "worldnet":
        model = create_model("worldnet", centroids=[[48.85, 2.35], [51.5, -0.12], [-33.9, 151.2]], image_size=(64, 96), head_members=1)
        torch.nn.init.normal_(model.classifier[1].weight, std=3.0)
        torch.nn.init.normal_(model.interpolation_head.mlp[2].weight)
    else:
        model = create_model("regression", image_size=(64, 96))
    payload = torch.load(save_checkpoint(model, tmp_path / "new.pt"), weights_only=True)
    payload["format_version"] = 1
    payload["config"]["image_size"] = [64, 96]
    del payload["preprocessing"]
    for setting in ("head_members", "retrieval_weight", "retrieval_k", "retrieval_temperature", "n_bank", "tta"):
        payload["config"].pop(setting, None)  # settings that came later
    torch.save(payload, tmp_path / "old.pt")
    images = torch.randint(0, 256, (4, 3, 64, 96), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    old = Predictor.load(tmp_path / "old.pt", device="cpu")
    assert old.size == (64, 96) and old.model.preprocessing == model.preprocessing
    expected = Predictor(model, device="cpu").predict_tensor(images)
    assert [(p.lat, p.lon, p.top) for p in old.predict_tensor(images)] == [(p.lat, p.lon, p.top) for p in expected]
    # Saved again, it is a checkpoint of today's format that predicts the same.
    again = Predictor.load(save_checkpoint(old.model, tmp_path / "again.pt"), device="cpu")
    assert [(p.lat, p.lon) for p in again.predict_tensor(images)] == [(p.lat, p.lon) for p in expected]


def test_it_loads_a_checkpoint_with_worldnet_core_alone(tiny_data, tiny_world, tmp_path):
    model = train_program.train_model("worldnet", tiny_data, tiny_args(), settings(), log=lambda m: None)
    path = save_checkpoint(model, tmp_path / "w.pt")
    image = next((tiny_world / "images").rglob("*.jpg"))
    code = f"""
import sys
from worldnet_core.predictor import Predictor
p = Predictor.load({str(path)!r})
prediction = p.predict([{str(image)!r}])[0]
print(round(prediction.lat, 3), len(prediction.top), p.device)
print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'training', 'django', 'celery', 'geoguess'}}))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.endswith(" 4 cpu") and second == "[]"


def test_it_chooses_the_device_automatically_and_on_request(monkeypatch):
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setenv("WORLDNET_DEVICE", "cpu")
    assert select_device(None).type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            select_device("cuda")


def test_mixed_precision_on_a_cpu_only_where_it_computes_bf16_natively(tmp_path):
    """bf16 autocast halves training time on AVX-512 BF16 / AMX CPUs and slows emulating ones."""
    flags = "fpu sse sse2 avx2 avx512f avx512bw"
    (tmp_path / "emulating").write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    (tmp_path / "native").write_text(f"processor\t: 0\nflags\t\t: {flags} avx512_bf16\n")
    (tmp_path / "amx").write_text(f"processor\t: 0\nflags\t\t: {flags} amx_bf16 amx_tile\n")
    assert not cpu_has_native_bf16(str(tmp_path / "emulating"))
    assert cpu_has_native_bf16(str(tmp_path / "native"))
    assert cpu_has_native_bf16(str(tmp_path / "amx"))
    assert not cpu_has_native_bf16(str(tmp_path / "absent"))


@pytest.fixture
def weights_server(tmp_path):
    """A loopback HTTP server holding a (randomly initialised) resnet18 state dict under torchvision's file name."""
    import functools
    import http.server
    import threading

    from torchvision.models import get_model

    from worldnet_core.models.backbones import cached_weights_path

    served = tmp_path / "mirror"
    served.mkdir()
    reference = get_model("resnet18", weights=None)
    torch.save(reference.state_dict(), served / cached_weights_path("resnet18").name)
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", reference, requests
    server.shutdown()


def test_it_downloads_pretrained_weights_into_torch_home_with_progress(weights_server, monkeypatch, tmp_path, capfd):
    url, reference, requests = weights_server
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setenv("WORLDNET_WEIGHTS_URL", url)
    backbone = create_backbone("resnet18", pretrained=True)
    assert backbone.pretrained and torch.equal(backbone.module[0].weight, reference.conv1.weight)
    assert "ImageNet" in backbone.weights
    cached = list((tmp_path / "torch-home" / "hub" / "checkpoints").iterdir())
    assert [p.name for p in cached] == [requests[0].lstrip("/")]  # kept under TORCH_HOME, by torchvision's name
    shown = capfd.readouterr()
    assert "Downloading" in shown.out and "100%" in shown.err  # torch.hub's line and progress bar
    again = create_backbone("resnet18", pretrained=True)  # the cache serves the second time
    assert again.pretrained and len(requests) == 1


def test_fetch_weights_puts_a_backbones_weights_in_the_cache_for_offline_training(weights_server, monkeypatch, tmp_path, capsys):
    from training.__main__ import main
    from worldnet_core.models.backbones import cached_weights_path

    url, reference, _ = weights_server
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setenv("WORLDNET_WEIGHTS_URL", url)
    assert main(["fetch-weights", "resnet18", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"resnet18: {cached_weights_path('resnet18')}"  # after torch.hub's line
    monkeypatch.setenv("WORLDNET_WEIGHTS_URL", "http://127.0.0.1:1/")  # offline now: the cache serves
    assert torch.equal(create_backbone("resnet18", pretrained=True).module[0].weight, reference.conv1.weight)
    with pytest.raises(SystemExit):
        main(["fetch-weights", "compact"])  # it has no pretrained weights


def test_it_says_in_one_line_when_pretrained_weights_cannot_be_had(monkeypatch, tmp_path):
    from tests.support.processes import free_port
    from worldnet_core.models.backbones import PretrainedWeightsMissing

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("WORLDNET_WEIGHTS_URL", f"http://127.0.0.1:{free_port()}/")  # nothing listens: offline
    with pytest.raises(PretrainedWeightsMissing) as error:
        create_backbone("resnet18", pretrained=True)
    message = str(error.value)
    assert "\n" not in message and "resnet18" in message and "--no-pretrained" in message and "--weights FILE" in message
    # And its parts, for a caller without those flags to say it in its own terms (the admin's training runs).
    assert error.value.backbone == "resnet18" and error.value.cache_file.name == "resnet18-f37072fd.pth"
    assert error.value.cache_file.parent == tmp_path / "empty-cache" / "hub" / "checkpoints" and "127.0.0.1" in error.value.reason
    assert create_backbone("resnet18", pretrained=False).pretrained is False  # from scratch, when asked


def test_the_training_program_stops_with_that_line_offline(monkeypatch, tmp_path, capsys):
    from tests.support.images import small_world
    from tests.support.processes import free_port
    from training.__main__ import main

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("WORLDNET_WEIGHTS_URL", f"http://127.0.0.1:{free_port()}/")
    world = small_world(tmp_path / "world", per_city=2)
    code = main(
        [
            "train",
            "--data",
            str(world / "manifest.csv"),
            "--backbone",
            "resnet18",
            "--epochs",
            "1",
            "--head-epochs",
            "1",
            "--test-fraction",
            "0",
            "--no-progress",
            "--output",
            str(tmp_path / "m.pt"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "could not be downloaded" in err[0] and not (tmp_path / "m.pt").exists()


def test_it_loads_local_pretrained_weights_from_a_file(tmp_path):
    from torchvision.models import get_model

    reference = get_model("resnet18", weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    backbone = create_backbone("resnet18", pretrained=True, weights_path=path)
    assert backbone.pretrained is True
    assert torch.equal(backbone.module[0].weight, reference.conv1.weight)
    regression = create_model("regression", backbone="resnet18", pretrained=True, weights_path=str(path), image_size=(64, 96))
    assert regression.frozen_backbone and not any(p.requires_grad for p in regression.backbone.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("name", TORCHVISION_BACKBONES)
def test_it_builds_every_torchvision_backbone(name):
    backbone = create_backbone(name, pretrained=False)
    with torch.no_grad():
        features = backbone.module.eval()(torch.rand(1, 3, 64, 96))
    assert features.shape[1] == backbone.channels


def test_activation_maps_are_exact_for_the_top_candidate_and_cost_no_change_of_guess():
    model = create_model(
        "worldnet",
        centroids=[[48.85, 2.35], [51.5, -0.12], [-33.9, 151.2]],
        centroid_names=["Paris", "London", "Sydney"],
        image_size=(64, 96),
    ).eval()
    images = torch.rand(3, 3, 64, 96)
    with torch.no_grad():
        output, maps = model.forward_with_maps(images)
        plain = model(images)
        features = model.backbone(model.normalize(images))
        top = output.probs.argmax(dim=1)
        logits = model.logits(images)
        raw = model.class_activation(features, top)
    assert torch.allclose(output.latlon, plain.latlon) and torch.allclose(output.probs, plain.probs)
    # The map decomposes the top logit by position: its mean plus the bias is the logit.
    assert torch.allclose(raw.mean(dim=(1, 2)) + model.classifier[1].bias[top], logits.gather(1, top[:, None])[:, 0], atol=1e-5)
    assert maps.shape == features.shape[:1] + features.shape[2:] and float(maps.min()) >= 0.0 and float(maps.max()) <= 1.0


def test_the_predictor_stores_each_map_as_a_small_png():
    from worldnet_core.heatmaps import decode_heatmap
    from worldnet_core.predictor import Predictor

    model = create_model("worldnet", centroids=[[48.85, 2.35], [-33.9, 151.2]], centroid_names=["Paris", "Sydney"], image_size=(64, 96))
    torch.nn.init.constant_(model.classifier[1].weight, 0.01)  # every position counts: a map with content
    predictor = Predictor(model, device="cpu")
    images = torch.randint(0, 256, (2, 3, 64, 96), dtype=torch.uint8)
    explained = predictor.predict_tensor(images, with_maps=True)
    assert [(p.lat, p.lon) for p in explained] == [(p.lat, p.lon) for p in predictor.predict_tensor(images)]
    for prediction in explained:
        assert prediction.heatmap.startswith(b"\x89PNG") and len(prediction.heatmap) < 1024
        grid = decode_heatmap(prediction.heatmap)
        assert grid.shape == (2, 3) and grid.max() == pytest.approx(1.0)
    assert all(p.heatmap is None for p in predictor.predict_tensor(images))


def test_mode_interpolation_stays_with_the_heaviest_shown_region():
    from worldnet_core.geo import haversine_km
    from worldnet_core.models.worldnet import interpolate, mode_kernel

    # London 40%, Sydney 24%, Melbourne 22%, Paris 14%: Australia holds 46%, Europe 54%.
    centroids = torch.tensor([[51.5, -0.13], [-33.87, 151.21], [-37.81, 144.96], [48.85, 2.35]])
    probs = torch.tensor([[0.40, 0.24, 0.22, 0.14]])
    kernel = mode_kernel(centroids, 300.0, 1200.0)
    globally = interpolate(probs, centroids, "sphere")[0]
    moded = interpolate(probs, centroids, "mode", probs=probs, kernel=kernel)[0]
    assert (
        min(haversine_km(float(globally[0]), float(globally[1]), float(c[0]), float(c[1])) for c in centroids) > 1500
    )  # the paper's: nowhere near
    assert haversine_km(float(moded[0]), float(moded[1]), 51.5, -0.13) < 400  # by London, leaning to Paris
    # With a kernel wide enough to join Sydney and Melbourne (713 km apart), together they outweigh
    # London once Paris is gone: the region, not the top bar, wins.
    probs = torch.tensor([[0.40, 0.31, 0.29, 0.0]])
    moded = interpolate(probs, centroids, "mode", probs=probs, kernel=mode_kernel(centroids, 1000.0, 1200.0))[0]
    assert haversine_km(float(moded[0]), float(moded[1]), -35.8, 148.0) < 600


def test_only_the_shown_candidates_can_anchor_the_guess():
    from worldnet_core.models.worldnet import candidates

    probs = torch.tensor([[0.30, 0.25, 0.20, 0.15, 0.10], [0.05, 0.04, 0.03, 0.02, 0.01]])
    chosen = candidates(probs)
    assert chosen[0].tolist() == [True, True, True, False, False]  # the 4th holds 15% but is not on the bars
    assert chosen[1].tolist() == [True, False, False, False, False]  # none holds 10%: the top one


def test_haversine_smoothed_labels_favour_near_places():
    from training.engine import smoothed_targets

    centroids = torch.tensor([[48.85, 2.35], [50.85, 4.35], [-33.87, 151.21]])  # Paris, Brussels, Sydney
    targets = smoothed_targets(torch.tensor([[45.76, 4.84]]), centroids, 500.0)[0]  # a photo in Lyon
    assert torch.isclose(targets.sum(), torch.tensor(1.0)) and targets[0] > targets[1] > targets[2] and float(targets[2]) < 1e-6


def test_test_time_augmentation_averages_shifted_views_and_the_game_uses_it():
    model = create_model(
        "worldnet", centroids=[[48.85, 2.35], [-33.9, 151.2]], centroid_names=["Paris", "Sydney"], image_size=(64, 96), tta=True
    ).eval()
    torch.nn.init.normal_(model.classifier[1].weight, std=5.0)  # an untrained head barely tells images apart
    images = torch.zeros(2, 3, 64, 96)
    images[0, :, :, :40] = 1.0  # a bright edge that the shifted copies move
    images[1, :, :20] = 1.0
    with torch.no_grad():
        single = torch.softmax(model.logits(images), dim=-1)
        averaged = model.probs(images)
        output, _ = model.forward_with_maps(images)
    assert not torch.allclose(single, averaged) and torch.allclose(output.probs, averaged)  # the worker's guess is the evaluated one


def test_retrieval_mixes_the_nearest_training_places_into_the_belief_and_survives_a_checkpoint(tmp_path):
    from worldnet_core.checkpoint import load_model, save_checkpoint

    model = create_model(
        "worldnet",
        centroids=[[48.85, 2.35], [-33.9, 151.2]],
        centroid_names=["Paris", "Sydney"],
        image_size=(64, 96),
        retrieval_k=2,
        retrieval_weight=0.5,
    ).eval()
    torch.nn.init.zeros_(model.classifier[1].weight)
    torch.nn.init.zeros_(model.classifier[1].bias)  # the classifier alone says 50/50
    features = torch.eye(192)[:4]  # four training images, orthogonal features
    model.set_bank(features, torch.tensor([0, 0, 1, 1]))
    near_sydney = features[2:3] * 3 + features[3:4]  # most like the Sydney images
    belief = model.belief(near_sydney)
    assert belief[0, 1] > 0.74 and torch.isclose(belief.sum(), torch.tensor(1.0))  # half classifier (0.5) + half votes (~1.0)
    alone = model.belief(features[2:3], bank_rows=torch.tensor([2]))  # a bank image, left out of its own neighbours
    assert alone[0, 1] < model.belief(features[2:3])[0, 1]
    images = torch.rand(3, 3, 64, 96)
    with torch.no_grad():
        before = model(images)
    path = save_checkpoint(model, tmp_path / "w.pt")
    restored, _ = load_model(path)
    with torch.no_grad():
        after = restored.eval()(images)
    assert restored.config["n_bank"] == 4 and torch.equal(restored.bank_labels, model.bank_labels)
    assert torch.allclose(before.latlon, after.latlon) and torch.allclose(before.probs, after.probs)


def test_the_interpolation_head_averages_members_each_trained_on_its_own_guesses(tiny_data, tmp_path):
    from training.engine import classifier_probs
    from worldnet_core.models.worldnet import InterpolationHead

    probs = torch.softmax(torch.randn(6, 4), dim=1)
    head = InterpolationHead(4, 16, members=3)
    for mlp in (head.mlp, *head.more):  # give each member a mind of its own
        torch.nn.init.normal_(mlp[2].weight)
    each = head.members(probs)
    assert each.shape == (3, 6, 4) and not torch.allclose(each[0], each[1])
    assert torch.allclose(head(probs), each.mean(dim=0)) and torch.allclose(head(probs).sum(dim=1), torch.ones(6))

    # Trained, the members part ways (their first layers start apart), and the model round-trips.
    model = train_program.train_model("worldnet", tiny_data, tiny_args(head_members=3, head_epochs=3), settings(), log=lambda m: None)
    assert len(model.interpolation_head.more) == 2 and model.config["head_members"] == 3
    with torch.no_grad():
        trained = model.interpolation_head.members(classifier_probs(model, tiny_data.images, settings()).clone())
    assert not torch.allclose(trained[0], trained[1])
    restored, _ = load_model(save_checkpoint(model, tmp_path / "three.pt"))
    images = torch.rand(2, 3, *SIZE)
    with torch.no_grad():
        assert torch.allclose(restored.eval()(images).latlon, model.eval()(images).latlon)

    # A checkpoint of one member (every one from before the members) loads as it was.
    single = create_model("worldnet", centroids=[[48.85, 2.35], [-33.9, 151.2]], image_size=SIZE, head_members=1)
    assert {k for k in single.state_dict() if k.startswith("interpolation_head.")} == {
        f"interpolation_head.mlp.{i}.{p}" for i in (0, 2) for p in ("weight", "bias")
    }
    assert load_model(save_checkpoint(single, tmp_path / "one.pt"))[0].config["head_members"] == 1


@pytest.mark.parametrize("value", ["0", "-3", "abc", "2.5"])
def test_the_training_program_refuses_an_interpolation_head_without_members(value, capsys):
    with pytest.raises(SystemExit):
        train_program.get_args_parser().parse_args(["--head-members", value])
    assert "--head-members" in capsys.readouterr().err
    with pytest.raises(ValueError, match="at least one member"):
        from worldnet_core.models.worldnet import InterpolationHead

        InterpolationHead(4, 8, members=0)


@pytest.mark.parametrize("value", ["-5", "nan", "inf", "-inf", "abc", "1e400"])
def test_the_training_program_refuses_a_label_smoothing_scale_that_is_no_distance(value, capsys):
    with pytest.raises(SystemExit):
        train_program.get_args_parser().parse_args([f"--label-smoothing-km={value}"])
    assert "--label-smoothing-km" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--mode-bandwidth-km", v) for v in ["0", "-300", "nan", "inf", "abc"]]
    + [("--mode-radius-km", v) for v in ["-1", "nan", "inf", "1e400"]],
)
def test_the_training_program_refuses_a_mode_kernel_that_is_no_distance(flag, value, capsys):
    with pytest.raises(SystemExit):
        train_program.get_args_parser().parse_args([f"{flag}={value}"])
    assert flag in capsys.readouterr().err


@pytest.mark.parametrize(("bandwidth_km", "radius_km"), [(0.0, 1200.0), (float("nan"), 1200.0), (300.0, -1.0), (300.0, float("nan"))])
def test_the_mode_kernel_refuses_a_scale_or_radius_that_would_leave_a_guess_without_weight(bandwidth_km, radius_km):
    from worldnet_core.models.worldnet import mode_kernel

    centroids = torch.tensor([[48.85, 2.35], [50.85, 4.35], [-33.87, 151.21]])
    with pytest.raises(ValueError, match="mode_bandwidth_km" if radius_km == 1200.0 else "mode_radius_km"):
        mode_kernel(centroids, bandwidth_km, radius_km)


def test_each_candidate_keeps_its_own_weight_whatever_the_radius_or_the_scale():
    from worldnet_core.models.worldnet import interpolate, mode_kernel

    paris, brussels, sydney = [48.85, 2.35], [50.85, 4.35], [-33.87, 151.21]
    centroids = torch.tensor([paris, brussels, sydney])
    # A zero radius, or a scale far below the metre haversine keeps between a point and itself.
    for bandwidth_km, radius_km in [(300.0, 0.0), (1e-6, 1200.0)]:
        assert torch.allclose(mode_kernel(centroids, bandwidth_km, radius_km), torch.eye(3))
        probs = torch.tensor([[0.2, 0.7, 0.1]])
        guess = interpolate(probs, centroids, "mode", probs=probs, kernel=mode_kernel(centroids, bandwidth_km, radius_km))[0]
        assert torch.allclose(guess, torch.tensor(brussels), atol=1e-3)
    # No cut-off: an infinite radius keeps Sydney in Paris's row, with a Gaussian's weight; a negative scale squares away.
    assert 0 < mode_kernel(centroids, 20_000.0, math.inf)[0, 2] < 1
    assert torch.equal(mode_kernel(centroids, -300.0, 1200.0), mode_kernel(centroids, 300.0, 1200.0))


def test_a_model_that_does_not_interpolate_by_mode_ignores_the_mode_settings():
    from worldnet_core.models.worldnet import WorldNet

    centroids = [[48.85, 2.35], [-33.9, 151.2]]
    sphere = WorldNet(
        centroids=centroids, image_size=(64, 96), interpolation="sphere", mode_bandwidth_km=0.0
    )  # as an old checkpoint may hold
    assert sphere.mode_kernel is None
    with pytest.raises(ValueError, match="mode_bandwidth_km"):
        sphere.set_interpolation("mode")
    assert sphere.interpolation == sphere.config["interpolation"] == "sphere"  # a refused switch changes nothing
    sphere.set_interpolation("mode", bandwidth_km=300.0, radius_km=0.0)
    assert sphere.config["mode_radius_km"] == 0.0 and torch.allclose(sphere.mode_kernel, torch.eye(2))


def test_labels_are_smoothed_at_3000_km_by_default_and_one_hot_at_0():
    from training.engine import smoothed_targets

    assert train_program.get_args_parser().parse_args([]).label_smoothing_km == 3000.0
    assert train_program.get_args_parser().parse_args(["--label-smoothing-km", "0"]).label_smoothing_km == 0.0
    paris, brussels, sydney = [48.85, 2.35], [50.85, 4.35], [-33.87, 151.21]
    targets = smoothed_targets(torch.tensor([paris]), torch.tensor([paris, brussels, sydney]), 3000.0)[0]
    assert targets.argmax() == 0 and targets[1] > 0.4 * targets[0] and targets[2] < 1e-2 * targets[0]


@pytest.mark.parametrize(
    "line", ["label_smoothing_km: -5", "label_smoothing_km: .nan", "head_members: 0", "epochs: abc", "head_members: 2.5"]
)
def test_a_yaml_config_gets_the_same_checks_as_the_command_line(line, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(line + "\n")
    with pytest.raises(SystemExit, match=f"bad.yaml: {line.split(':')[0]}"):
        train_program.apply_config(train_program.get_args_parser().parse_args(["--config", str(config)]))
