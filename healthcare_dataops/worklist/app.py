"""The worklist as a Dash app: the ranked stays with filters and a CSV download, a stay's
reasons, the status panel, and (where switched on) the audited MRN lookup.

Every page load reads the lakehouse, the Dagster instance and MLflow afresh: what it shows is
what the newest scores and reports say, with nothing cached between visits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import dagster as dg
import flask
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from healthcare_dataops.pipeline_status import catalog, feeds, model
from healthcare_dataops.worklist import inpatients, views
from healthcare_dataops.worklist.reidentification import Reidentifier

BAND_NAMES = [name for name, _ in inpatients.BANDS]


@dataclass(frozen=True)
class WorklistSources:
    scores_uri: str
    storage_options: dict[str, str]
    reidentifier: Reidentifier


def create_app(sources: WorklistSources) -> Dash:
    app = Dash(__name__, title="Readmission risk worklist", update_title=None)

    def load() -> inpatients.Worklist:
        return inpatients.load(sources.scores_uri, sources.storage_options)

    def layout() -> html.Div:
        worklist = load()
        instance = dg.DagsterInstance.get()
        statuses = feeds.table_statuses(instance, catalog.project_catalog())
        panel = views.status_panel(model.champion_status(model.mlflow_client()), model.drift_status(instance),
                                   model.scores_status(instance), feeds.feed_statuses(statuses), time.time())
        day = worklist.delivery_day.isoformat() if worklist.delivery_day else "no day scored yet"
        return html.Div([
            html.H1("Current inpatients by 30-day readmission risk"),
            html.P(f"Stays open at the end of {day}. Pseudonymous: patients by pseudonym, dates shifted.",
                   id="scored-day"),
            panel,
            html.Div([
                dcc.Checklist(BAND_NAMES, BAND_NAMES, id="bands", inline=True),
                html.Label(["Days in hospital from", dcc.Input(id="min-days", type="number", min=0, debounce=True,
                                                                style={"width": "5rem"})]),
                html.Label(["to", dcc.Input(id="max-days", type="number", min=0, debounce=True,
                                                 style={"width": "5rem"})]),
                html.Button("Download CSV", id="download-button"),
                dcc.Download(id="download"),
            ], id="filters"),
            html.Div([
                html.Div(id="list"),
                html.Div([html.Div(html.P("Choose Why on a stay to see what drove its risk."), id="reasons"),
                          html.Div(id="mrn-answer", role="status")], id="side"),
            ], className="worklist-body"),
        ])

    app.layout = layout

    @app.callback(Output("list", "children"), Input("bands", "value"), Input("min-days", "value"),
                  Input("max-days", "value"))
    def show_list(bands, min_days, max_days):
        stays = inpatients.select(load().stays, bands, min_days, max_days)
        if stays.empty:
            return html.P("No stay matches these filters.")
        return views.stays_table(stays, sources.reidentifier.config.enabled)

    @app.callback(Output("download", "data"), Input("download-button", "n_clicks"), State("bands", "value"),
                  State("min-days", "value"), State("max-days", "value"), prevent_initial_call=True)
    def download(_, bands, min_days, max_days):
        worklist = load()
        stays = inpatients.select(worklist.stays, bands, min_days, max_days)
        name = f"worklist-{worklist.delivery_day}.csv"
        return dcc.send_string(inpatients.as_csv(stays), name)

    @app.callback(Output("reasons", "children"), Input({"type": "why", "index": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def explain(clicks):
        if not ctx.triggered_id or not any(clicks):
            return no_update
        stays = load().stays
        chosen = stays[stays["encounter_id"] == ctx.triggered_id["index"]]
        return views.reasons_panel(chosen.iloc[0]) if len(chosen) else html.P("This stay is no longer listed.")

    @app.callback(Output("mrn-answer", "children"), Input({"type": "mrn", "index": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def reidentify(clicks):
        if not ctx.triggered_id or not any(clicks):
            return no_update
        pseudonym = ctx.triggered_id["index"]
        answer = sources.reidentifier.lookup(pseudonym, flask.request.headers)
        return f"Patient {pseudonym[:views.SHOWN_PSEUDONYM]}…: {answer.message}"

    return app
