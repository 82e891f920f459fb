"""Bad input that the database cannot take gives 400/404, never 500 (on SQLite and PostgreSQL)."""
import pytest
from sqlalchemy import func, select

from studyapp.models import User


@pytest.mark.parametrize("url", [
    "/attempts/2147483648/q/1", "/attempts/99999999999999999999/result", "/teach/learners/2147483648",
])
def test_ids_beyond_the_integer_range_are_404(client, login_as, url):
    """Ids that no row can have answer 404, not a database error."""
    login_as("instructor")
    assert client.get(url).status_code == 404


def test_admin_edit_with_impossible_id_is_handled(client, login_as):
    """Flask-Admin's ?id= with a huge or non-numeric id says the record does not exist."""
    login_as("instructor")
    for ident in ("2147483648", "abc", "-1"):
        response = client.get("/admin/items/edit/", query_string={"id": ident})
        assert response.status_code == 302, ident


@pytest.mark.parametrize("method, url, data", [
    ("post", "/auth/register", {"email": "a@example.org", "display_name": "Bad\x00name",
                                "password": "long enough pw", "confirm": "long enough pw"}),
    ("post", "/auth/login", {"email": "a\x00@example.org", "password": "x"}),
    ("get", "/banks/harbin%00", None),
    ("get", "/admin/items/?search=%00", None),
])
def test_nul_characters_are_refused(client, csrf, login_as, method, url, data, db):
    """A NUL character anywhere in the request gives 400 with a readable message and writes nothing."""
    if url.startswith("/admin") or url.startswith("/banks"):
        login_as("instructor")
    users = db.session.scalar(select(func.count()).select_from(User))
    if data is not None:
        data = dict(data, csrf_token=csrf(client))
    response = getattr(client, method)(url, data=data)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_admin_bulk_delete_and_odd_pages(client, csrf, login_as, make_bank, db):
    """The admin's "With selected: Delete" works on every database (integer ids), refuses cited
    passages with a message, and odd ?page= values list the first page."""
    from studyapp.models import Passage
    from tests.conftest import TINY_ITEMS

    bank = make_bank(TINY_ITEMS)
    spare = Passage(document_id=bank.document.id, number=50, text="Spare.")
    db.session.add(spare)
    db.session.commit()
    spare_id, cited_id = spare.id, bank.document.passages[0].id
    login_as("instructor")
    response = client.post("/admin/passage/action/", data={
        "action": "delete", "rowid": [str(spare_id), str(cited_id), "2147483648", "x"],
        "csrf_token": csrf(client)}, follow_redirects=True)
    assert response.status_code == 200
    assert "cite the passage(s)" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Passage, spare_id) is None and db.session.get(Passage, cited_id) is not None
    for page in ("9223372036854775808", "-1", "abc"):
        listing = client.get("/admin/passage/", query_string={"page": page})
        assert listing.status_code == 200, page
