def test_app_serves_home(client):
    assert client.get("/").status_code == 200
