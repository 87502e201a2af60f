"""`GET /files/{token}`: the files the provincial portal downloads, by short-lived signed link.

The token (province/links.py) names one stored file and expires; nothing else is reachable this
way. Each download is appended to the dossier's history as a read by the province (personal data
is in these files: Luật 91/2025/QH15 asks for a log of every access). The web app includes this
router and sets `app.state.services` (a `workers.services.Services`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from province.links import BadLink
from storage.local import LocalObjectStore
from workers.links import link_signer

router = APIRouter(include_in_schema=False)  # the province's links, not the station API


@router.get("/files/{token}")
def download(token: str, request: Request) -> FileResponse:
    services = request.app.state.services
    signer = getattr(request.app.state, "link_signer", None) or link_signer(services.settings)
    request.app.state.link_signer = signer
    try:
        file_id = signer.verify(token)
    except BadLink as bad:
        raise HTTPException(status_code=403, detail=f"{bad} / liên kết không hợp lệ hoặc đã hết hạn") from bad
    file = services.register.file_by_id(file_id)
    if file is None:
        raise HTTPException(status_code=404, detail="no such file / không có tệp này")
    client = request.client.host if request.client else "?"
    services.register.add_event(file.dossier_id, "province", "file_read",
                                {"file": file.id, "role": file.role, "client": client})
    if isinstance(services.objects, LocalObjectStore):
        return FileResponse(services.objects.local_path(file.object_key), media_type=file.media_type,
                            filename=file.name)
    folder = tempfile.mkdtemp(prefix="sohoa-file-")
    path = Path(folder) / "object"
    services.objects.get(file.object_key, path, verify=True)
    return FileResponse(path, media_type=file.media_type, filename=file.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
