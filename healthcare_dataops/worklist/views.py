"""The worklist's page parts as Dash components: the ranked table, a stay's reasons, the
status panel. Pseudonyms and de-identified figures only."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dash import dcc, html

from healthcare_dataops.pipeline_status.feeds import FeedStatus
from healthcare_dataops.pipeline_status.model import ChampionStatus, DriftStatus, ScoresStatus

SHOWN_PSEUDONYM = 12  # characters of a pseudonym the table shows; the CSV has them whole
TABLE_HEADERS = ("Patient", "Admitted (shifted date)", "Days in hospital", "Risk", "Band",
                 "Change since yesterday", "Model", "")


def _number(value: float | None, fmt: str, missing: str = "–") -> str:
    return missing if value is None or pd.isna(value) else format(value, fmt)


def _change(value: float | None) -> str:
    return "new today" if value is None or pd.isna(value) else f"{value * 100:+.1f} pts"


def stays_table(stays: pd.DataFrame, reidentification: bool) -> html.Table:
    rows = []
    for stay in stays.itertuples(index=False):
        buttons = [html.Button("Why", id={"type": "why", "index": stay.encounter_id}, className="why")]
        if reidentification:
            buttons.append(html.Button("Show MRN", id={"type": "mrn", "index": stay.patient_id}, className="mrn"))
        rows.append(html.Tr([
            html.Td(stay.patient_id[:SHOWN_PSEUDONYM] + "…", title=stay.patient_id),
            html.Td(pd.Timestamp(stay.admitted_at).strftime("%Y-%m-%d %H:%M")),
            html.Td(f"{stay.length_of_stay_days:.1f}"),
            html.Td(f"{stay.risk:.1%}"),
            html.Td(stay.risk_band),
            html.Td(_change(stay.risk_change)),
            html.Td(f"v{stay.model_version}"),
            html.Td(buttons),
        ], className=f"stay band-{stay.risk_band}", **{"data-encounter": stay.encounter_id,
                                                        "data-patient": stay.patient_id}))
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in TABLE_HEADERS])), html.Tbody(rows)],
                      id="stays")


def reasons_panel(stay: pd.Series) -> list:
    up = [r for r in stay["explanation"] if r["contribution"] > 0]
    down = [r for r in stay["explanation"] if r["contribution"] < 0]
    return [
        html.H3(f"Why {stay['risk']:.1%} for patient {stay['patient_id'][:SHOWN_PSEUDONYM]}…"),
        html.H4("Raised the risk most"),
        html.Ul([html.Li(r["text"], className="reason-up") for r in up] or [html.Li("nothing")]),
        html.H4("Lowered the risk most"),
        html.Ul([html.Li(r["text"], className="reason-down") for r in down] or [html.Li("nothing")]),
        html.P("From the scoring model's own contributions (XGBoost tree SHAP values) when the score was written.",
               className="note"),
    ]


def _interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f" (95% interval {low:.3f}–{high:.3f})"


def _baselines(champion: ChampionStatus) -> str:
    if not champion.baselines:
        return "No clinical baseline logged with this version."
    return "Against the clinical scores on the same holdout: " + "; ".join(
        f"{b.name} AUROC {_number(b.auroc, '.3f')}, the model {_number(b.margin, '+.3f')}"
        f"{_interval(b.margin_low, b.margin_high)}" for b in champion.baselines) + "."


def _when(moment: dt.datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _age(seconds_ago: float | None) -> str:
    if seconds_ago is None:
        return "no delivery yet"
    hours = seconds_ago / 3600
    return f"{hours:.1f} hours ago" if hours < 48 else f"{hours / 24:.1f} days ago"


def status_panel(champion: ChampionStatus, drift: DriftStatus, scores: ScoresStatus,
                 feeds: list[FeedStatus], now: float) -> html.Div:
    model = ([html.P("No champion model: nothing is scored until risk_model promotes a version.", id="champion")]
             if champion.version is None else [
                 html.P([
                     f"Champion {champion.model_name} v{champion.version}: holdout AUROC "
                     f"{_number(champion.holdout_auroc, '.3f')}"
                     f"{_interval(champion.holdout_auroc_ci_low, champion.holdout_auroc_ci_high)}, on patients "
                     f"never seen in training {_number(champion.unseen_patients_auroc, '.3f')}, calibration error "
                     f"(ECE) {_number(champion.holdout_calibration_error, '.3f')}, trained "
                     f"{_when(champion.trained_at)}. ",
                     html.A("MLflow", href=champion.mlflow_url, target="_blank")], id="champion"),
                 html.P(_baselines(champion), id="baselines"),
                 html.Details([html.Summary("Model card: cohort rules, split, intervals, baselines, gate, last "
                                            "drift decision"),
                               dcc.Markdown(champion.model_card or "No model card on this version.")],
                              id="model-card"),
             ])
    drift_line = html.Details([
        html.Summary([
            f"Drift: {drift.status} " + (f"(report for {drift.delivery_day}, {_when(drift.reported_at)}) "
                                         if drift.reported_at else ""),
            html.A("Dagster", href=drift.dagster_url, target="_blank")]),
        dcc.Markdown(drift.decision or ""),
    ], id="drift", className="alert" if drift.retrain_recommended else "")
    feed_rows = [html.Tr([
        html.Td(feed.source),
        html.Td(_age(None if feed.last_delivery_at is None else now - feed.last_delivery_at)),
        html.Td(feed.newest_day or "–"),
        html.Td(_number(feed.quarantine_rate, ".2%")),
        html.Td(html.A("Dagster", href=feed.dagster_url, target="_blank")),
    ], **{"data-source": feed.source}) for feed in feeds]
    return html.Div([
        html.H2("Can I trust it today"),
        *model,
        drift_line,
        html.P(f"Scored {scores.stays if scores.stays is not None else 'no'} stays for {scores.delivery_day or '–'}"
               f" with v{scores.model_version or '–'}.", id="scored"),
        html.Table([html.Thead(html.Tr([html.Th(h) for h in ("Feed", "Bronze last written", "Newest day",
                                                              "Quarantined that day", "")])),
                    html.Tbody(feed_rows)], id="feeds"),
    ], id="status")
