"""The notebooks follow the house rules papermill and nbval depend on."""
from __future__ import annotations

import nbformat
import papermill as pm
import pytest
import yaml

from helpers.config import PARAMS_FILE
from helpers.runner import notebooks

PARAMS = yaml.safe_load(PARAMS_FILE.read_text())
STAGES = ["01_extraction", "02_filtering", "03_linking", "04_descriptive_plots", "05_harm_ranking",
          "06_intelligence_pack"]
# Notebook defaults point at the small profile (nbval runs them); these two differ from params.yml by design.
LOCAL = {"db_url", "out_dir"}


def test_the_client_stages_are_all_there_in_order():
    assert [nb.stem for nb in notebooks()] == STAGES


@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: p.stem)
class TestEachNotebook:
    def test_exactly_one_parameters_cell(self, nb):
        cells = nbformat.read(nb, as_version=4).cells
        tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1

    def test_parameter_names_are_all_in_params_yml(self, nb):
        assert set(pm.inspect_notebook(str(nb))) <= set(PARAMS)

    def test_parameter_defaults_match_params_yml_except_local_paths(self, nb):
        for name, info in pm.inspect_notebook(str(nb)).items():
            if name not in LOCAL:
                text = info["default"]
                value = None if text == "None" else yaml.safe_load(text)  # a Python None is YAML's null
                assert value == PARAMS[name], name

    def test_no_function_or_class_definitions(self, nb):
        for cell in nbformat.read(nb, as_version=4).cells:
            if cell.cell_type == "code":
                assert "def " not in cell.source and "class " not in cell.source and "lambda" not in cell.source

    def test_saved_with_outputs_for_nbval(self, nb):
        cells = [c for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code"]
        assert all(c.get("execution_count") for c in cells), "run `make notebooks` to save executed copies"
