"""Docking with Vina against DRD2 at exhaustiveness 1: scores, failures, the cache, time
limits and a Dask cluster. A handful of small molecules (grid maps take seconds per process)."""
import pytest

from molgan.mol.docking import worker
from molgan.mol.docking.config import DockConfig
from molgan.mol.docking.run import dock_smiles
from molgan.mol.docking.targets import find_target

HALOPERIDOL = "O=C(CCCN1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1"
FLEXIBLE = "CCCCCCCCCCCCCCCCCCCCCC(=O)NCCCCCCCCCCCCCCCCCCCCCC(=O)NCCCCCCCCCCCCCC"
ROWS = ["CCO", HALOPERIDOL, "", "not smiles", "C1=CC2=CC=C1C2", "OCC", "Oc1ccccc1.[Na+]"]
QUICK = DockConfig(exhaustiveness=1, workers=2)


@pytest.fixture(scope="module")
def docked(tmp_path_factory):
    cache = tmp_path_factory.mktemp("dock") / "cache.sqlite"
    return dock_smiles(ROWS, find_target("DRD2"), QUICK, cache=cache), cache


def test_a_known_ligand_scores_far_better_than_ethanol(docked):
    results, _ = docked
    ethanol, haloperidol = results[0], results[1]
    assert ethanol.status == haloperidol.status == "ok"
    assert haloperidol.score < -9.0 < -4.0 < ethanol.score  # measured: -10.9 and -2.9 kcal/mol
    assert haloperidol.docked_smiles == "O=C(CCC[NH+]1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1"  # pH 7.4


def test_every_row_gets_a_result_in_order(docked):
    results, _ = docked
    assert [r.smiles for r in results] == ROWS
    assert [r.status for r in results] == ["ok", "ok", "invalid", "invalid", "failed", "ok", "ok"]
    assert results[2].reason == "empty SMILES" and results[3].reason == "not a valid SMILES"
    assert results[4].reason == "3D embedding failed" and results[4].score is None
    assert results[5].canonical == "CCO" and results[5].score == results[0].score  # docked once
    assert results[6].canonical == "Oc1ccccc1"  # the salt's parent


def test_the_pose_is_a_3d_molecule_inside_the_box(docked):
    from rdkit import Chem

    results, _ = docked
    target = find_target("DRD2")
    pose = Chem.MolFromMolBlock(results[1].pose, removeHs=False)
    assert pose is not None and pose.GetConformer().Is3D()
    assert Chem.MolToSmiles(Chem.RemoveHs(pose), isomericSmiles=False) == Chem.MolToSmiles(
        Chem.MolFromSmiles(results[1].docked_smiles), isomericSmiles=False)
    positions = pose.GetConformer().GetPositions()
    for axis in range(3):
        low, high = target.center[axis] - target.size[axis] / 2, target.center[axis] + target.size[axis] / 2
        assert low <= positions[:, axis].min() and positions[:, axis].max() <= high


def test_a_second_run_reads_every_result_from_the_cache(docked, monkeypatch):
    results, cache = docked

    def no_docking(*args, **kwargs):
        raise AssertionError("a docking process was started for a cached molecule")

    monkeypatch.setattr(worker, "VinaProcess", no_docking)
    again = dock_smiles(ROWS, find_target("DRD2"), QUICK, cache=cache)
    assert [(r.status, r.score, r.reason) for r in again] == [(r.status, r.score, r.reason) for r in results]
    assert [r.cached for r in again] == [True, True, False, False, True, True, True]  # the failure is kept too


def test_the_same_molecule_scores_the_same_whatever_was_docked_before(docked):
    results, _ = docked
    alone = dock_smiles(["Oc1ccccc1"], find_target("DRD2"), DockConfig(exhaustiveness=1, workers=1))
    assert alone[0].score == results[6].score


def test_a_molecule_over_the_time_limit_is_recorded_and_the_next_one_docks(tmp_path):
    cache = tmp_path / "cache.sqlite"
    # at exhaustiveness 1: ethane 0.1 s; this chain of 50 rotatable bonds over 300 s
    config = DockConfig(exhaustiveness=1, workers=1, timeout=4.0)
    slow, quick = dock_smiles([FLEXIBLE, "CC"], find_target("DRD2"), config, cache=cache)
    assert slow.status == "failed" and slow.reason == "time limit of 4 s exceeded"
    assert quick.status == "ok" and quick.score < 0  # a new docking process took over
    from molgan.mol.docking.cache import DockingCache

    assert set(DockingCache(cache).get_many(find_target("DRD2").key, config.settings_key(), [FLEXIBLE, "CC"])
               ) == {"CC"}  # a time-out depends on the machine: not cached


def test_a_dask_cluster_of_two_workers_gives_the_same_scores(docked):
    distributed = pytest.importorskip("distributed")
    results, _ = docked
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        config = DockConfig(exhaustiveness=1, scheduler=cluster.scheduler_address)
        remote = dock_smiles(["CCO", "Oc1ccccc1", "C1=CC2=CC=C1C2"], find_target("DRD2"), config)
    assert [r.score for r in remote] == [results[0].score, results[6].score, None]
    assert remote[2].reason == "3D embedding failed"


def test_a_docking_process_that_dies_is_a_recorded_failure():
    import os
    import signal

    process = worker.VinaProcess(find_target("DRD2"), QUICK)
    os.kill(process._proc.pid, signal.SIGKILL)
    answer = process.dock("CCO", timeout=60)
    assert answer == {"reason": "the docking process died (killed by signal SIGKILL)", "deterministic": False}
    assert not process.alive
