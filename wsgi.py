from academy import create_app

app = create_app()
