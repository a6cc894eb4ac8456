"""The `config.xml` of a Pipeline job (workflow-job plugin) that runs a generated Jenkinsfile.

The script is inline (CpsFlowDefinition, in the Groovy sandbox) rather than read from the
repository (CpsScmFlowDefinition): `mo jenkins sync --env E --pipeline P` then decides what
the job runs, with no commit needed first, and `--env` and `--pipeline` mean what they say.
With no SCM of its own the job checks the repository out in a first stage, from two string
parameters: MO_GIT_URL and BRANCH_NAME (which Declarative's `when { branch }` reads, as it
does in multibranch jobs). Both default to this repository's origin and branch at sync time.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["BRANCH_PARAMETER", "GIT_URL_PARAMETER", "pipeline_job_xml"]

GIT_URL_PARAMETER = "MO_GIT_URL"
BRANCH_PARAMETER = "BRANCH_NAME"


def _child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _string_parameter(parent: ET.Element, name: str, default: str, description: str) -> None:
    parameter = _child(parent, "hudson.model.StringParameterDefinition")
    _child(parameter, "name", name)
    _child(parameter, "description", description)
    _child(parameter, "defaultValue", default)
    _child(parameter, "trim", "true")


def pipeline_job_xml(script: str, description: str, git_url: str, branch: str) -> str:
    """ElementTree escapes every value; XML cannot carry most control characters at all."""
    for value in (script, description, git_url, branch):
        if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
            raise ValueError(f"control character in job configuration value {value!r}")
    job = ET.Element("flow-definition", plugin="workflow-job")
    _child(job, "description", description)
    _child(job, "keepDependencies", "false")
    properties = _child(job, "properties")
    parameters = _child(
        _child(properties, "hudson.model.ParametersDefinitionProperty"), "parameterDefinitions"
    )
    _string_parameter(parameters, GIT_URL_PARAMETER, git_url, "Git repository to check out.")
    _string_parameter(parameters, BRANCH_PARAMETER, branch, "Branch to check out and run.")
    definition = _child(
        job,
        "definition",
        **{
            "class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition",
            "plugin": "workflow-cps",
        },
    )
    _child(definition, "script", script)
    _child(definition, "sandbox", "true")
    _child(job, "triggers")
    _child(job, "disabled", "false")
    ET.indent(job)
    return "<?xml version='1.1' encoding='UTF-8'?>\n" + ET.tostring(job, encoding="unicode") + "\n"
