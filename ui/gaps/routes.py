"""``GET /api/admin/gaps``: the gaps report for programs (the admin bearer token, as for the
feedback export); the documents it names are those the caller's access groups allow."""

from __future__ import annotations

import json
from argparse import ArgumentTypeError
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from ui.api import admin_token
from ui.gaps.command import parse_moment
from ui.gaps.export import golden_rows, to_csv
from ui.gaps.tab import report_from_services
from ui.services import Services


def build_gaps_router(services: Services) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/api/admin/gaps",
        tags=["admin"],
        summary="The gaps report: refused, rated-down and followed-up questions by topic (admin)",
        dependencies=[Depends(admin_token(services))],
        response_model=None,
    )
    def gaps(
        request: Request,
        since: str = Query("", description="from this date (YYYY-MM-DD, UTC)"),
        until: str = Query("", description="up to and including this date (YYYY-MM-DD, UTC)"),
        format: Literal["json", "csv", "golden"] = Query("json"),
    ) -> Any:
        try:
            start = parse_moment(since) if since.strip() else ""
            end = parse_moment(until, end_of_day=True) if until.strip() else ""
        except ArgumentTypeError as exc:
            raise HTTPException(400, detail=str(exc)) from None
        report = report_from_services(services, start, end, services.access(request))
        if format == "csv":
            headers = {"Content-Disposition": 'attachment; filename="gaps-report.csv"'}
            return PlainTextResponse(
                to_csv(report), media_type="text/csv; charset=utf-8", headers=headers
            )
        if format == "golden":
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in golden_rows(report))
            return PlainTextResponse(text, media_type="application/x-ndjson")
        return report.to_dict()

    return router
